"""AWS access behind the interfaces of ``chalicelib.services.ports``. Nothing else imports boto3 or PynamoDB."""
