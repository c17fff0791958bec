"""What proves the template deploys: SAM → CloudFormation translation, its lint, `sam build`,
and the built functions started in a Lambda-like process (`make verify-cloud`)."""
