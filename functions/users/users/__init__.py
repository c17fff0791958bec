"""The users service's own package: models, rules, schemas."""
