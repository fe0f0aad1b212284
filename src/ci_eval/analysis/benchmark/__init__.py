"""Program benchmarking: peer groups, disclosure control, and programs' own youth data."""
