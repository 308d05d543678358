"""The API's routes, one module per concern, each with its OpenAPI tag."""

from fastapi import APIRouter

from app.api.routes import admin, classify, feedback, health, info

router = APIRouter()
router.include_router(classify.router)
router.include_router(info.router)
router.include_router(health.router)
router.include_router(feedback.router)
router.include_router(admin.router)

TAGS = [
    {"name": "classify", "description": "Label the sentences of documents."},
    {"name": "models", "description": "The labels, languages and models served."},
    {"name": "health", "description": "Liveness, readiness and metrics."},
    {
        "name": "feedback",
        "description": "Analysts' corrections, the uncertainty queue, their export and the "
        "agreement between annotators (annotator tokens; off without FRAMING_ANNOTATOR_TOKENS).",
    },
    {"name": "admin", "description": "Operations that need the admin token."},
]
