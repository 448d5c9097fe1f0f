"""One cold start of the BASELINE: a bare Chalice app that imports boto3 and does one DynamoDB GetItem."""

import time

started = time.perf_counter()

import os  # noqa: E402

import boto3  # noqa: E402
from chalice.app import Chalice  # noqa: E402

from bench.lambda_event import FakeContext, rest_event  # noqa: E402

app = Chalice(app_name="baseline")
client = boto3.client("dynamodb")


@app.route("/services")
def services() -> dict[str, object]:
    item = client.get_item(
        TableName=os.environ["TABLE_CATALOGUE"], Key={"kind": {"S": "SERVICE"}, "id": {"S": "payment-letter"}}
    )
    return {"found": "Item" in item}


response = app(rest_event("GET", "/services"), FakeContext())
print(f"{time.perf_counter() - started:.6f} {response['statusCode']}")
