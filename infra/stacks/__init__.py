"""CDK stacks of Videoatención's production deployment."""
