from ninja import Router

router = Router(tags=["patrols"])
# The phone app's "today's work" summary, mounted at /api/v1/work.
work_router = Router(tags=["work"])
