"""The auth service's own package: models, rules, schemas."""
