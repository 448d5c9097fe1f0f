"""Infrastructure: the one description of our AWS resources, the CDK app that deploys it, and its tests."""
