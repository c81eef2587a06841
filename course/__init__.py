"""MIP Social Media Policy course."""
