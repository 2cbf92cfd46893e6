"""The background worker: jobs that finish work the requests left as durable rows (vendor
calls, notification deliveries, gateway refunds). Runs inside `prorata serve` and as
`prorata worker`; any number of processes may run it at once (V5)."""
