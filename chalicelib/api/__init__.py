"""HTTP entry points: one Blueprint per resource, thin views, and the one error-mapping module."""
