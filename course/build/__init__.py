"""Build stage: authored scenarios in, generated notebooks out (never edited by hand)."""
