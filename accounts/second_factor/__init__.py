"""Second factors: TOTP devices, hashed recovery codes, the two-step sign-in and its policy."""
