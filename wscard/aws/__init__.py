"""The AWS side: environments (simulated or live), the moto extension, Directory Service checks."""
