"""The products service's own package: models, rules, schemas."""
