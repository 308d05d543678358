"""GET /labels and /model: what the served models give and how good they are."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ModelsDep
from app.api.openapi import errors
from app.api.schemas import LabelInfo, LabelsResponse, ModelCard, ModelCards, ModelRef

router = APIRouter(tags=["models"])


@router.get("/labels", response_model=LabelsResponse, responses=errors(503))
async def labels(models: ModelsDep) -> LabelsResponse:
    """The labels the models give, with what each means, and the languages served."""
    manifest = models.default.manifest
    return LabelsResponse(
        languages=models.languages,
        models=[
            ModelRef(name=m.manifest.name, version=m.version, language=lang)
            for lang, m in models.models.items()
        ],
        labels=[
            LabelInfo(
                name=label,
                description=manifest.label_descriptions.get(label, "No description given."),
                thresholds={
                    lang: m.manifest.thresholds[label] for lang, m in models.models.items()
                },
            )
            for label in manifest.labels
        ],
    )


@router.get("/model", response_model=ModelCards, responses=errors(503))
async def model_card(models: ModelsDep) -> ModelCards:
    """Each language's model card: version, training data, thresholds and evaluation."""
    return ModelCards(
        languages=models.languages,
        models={
            lang: ModelCard.model_validate(m.manifest.model_dump())
            for lang, m in models.models.items()
        },
    )
