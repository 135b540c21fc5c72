"""Events for the province's IOC: an outbox written with each change, pushed to webhooks by a worker.

`service.emit` writes a CloudEvent in the caller's transaction; `delivery` is the worker that signs and
posts it to each subscription (and keeps provisional results live); `verify` is what a receiver runs.
"""
