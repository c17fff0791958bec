"""Code every Meridian service shares: HTTP app, errors, money, auth, resilience, clients."""
