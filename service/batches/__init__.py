"""Month-end batches: many document requests, each made exactly once, by a pool of workers.

    models.py    the durable queue: a batch and one row per item, in the service database
    queue.py     submit, claim with a lease, complete, progress (SQL only, no rendering)
    worker.py    one worker's loop: claim items, issue their documents, record the outcome
    pool.py      the embedded pool: one worker process per core beside the HTTP server
    tasks.py     scale-out: the same item processing as a Celery task (AMIABLE_BROKER_URL)

Exactly once: an item's document is issued with the idempotency key `batch:<id>:<index>`,
unique per API key in the documents table. A worker killed at any point leaves its items
leased; when the lease runs out another worker takes them, and issuing again returns the
document that may already exist instead of making a second one.
"""
