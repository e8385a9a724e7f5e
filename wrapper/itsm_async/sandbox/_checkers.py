"""openapi-core's request unmarshaller and response validator, built once per schema.

openapi-core makes a fresh style deserializer, schema validator (with a
deep copy of its format checker) and schema unmarshaller for every value of
every request, walking the document's ``$ref`` chains again each time: the
sandbox then spends most of a request there. The classes here keep what
openapi-core builds, keyed by the schema's place in the document, and give
it back for the next request. What is checked, and how, stays openapi-core's
own code: only the building is done once.

A request that already knows its operation (the sandbox finds it first,
to answer 404 and 405) carries it as ``found``, so the paths are not
searched twice.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from jsonschema_path import SchemaPath
from openapi_core.datatypes import Parameters, RequestParameters
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.validation.request.exceptions import MissingParameter, ParametersError, ParameterValidationError

from ._casting import exact_casters

#: The most media type deserializers kept: a multipart boundary is part of the key, and clients pick new ones.
_MAX_MEDIA_DESERIALIZERS = 256


class CachedBuilds:
    """Mixin of an openapi-core validator or unmarshaller that builds each helper once per schema.

    Each cache belongs to one validator, hence to one document: a
    :class:`SchemaPath` names a place in its own document only.
    """

    # These override the methods of openapi-core's BaseValidator and
    # BaseUnmarshaller of the same names (openapi-core 0.19 to 0.23), whose
    # signatures they keep; the mixin comes first in the bases.
    spec: SchemaPath

    def _cache(self, name: str) -> dict[Any, Any]:
        caches: dict[str, dict[Any, Any]] = self.__dict__.setdefault("_itsm_caches", {})
        return caches.setdefault(name, {})

    def _find_path(self, request: Any) -> PathOperationServer:
        found: PathOperationServer | None = getattr(request, "found", None)
        if found is not None:
            return found
        result: PathOperationServer = super()._find_path(request)  # type: ignore[misc]
        return result

    def _get_parameters(self, parameters: RequestParameters, operation: SchemaPath, path: SchemaPath) -> Parameters:
        # openapi-core's loop, over the operation's parameters listed once: an operation's
        # parameter overrides the path item's of the same name and location (OpenAPI 3.1, 4.8.9.1).
        plans = self._cache("parameters")
        plan: list[tuple[SchemaPath, str, str]] | None = plans.get((operation, path))
        if plan is None:
            plan, seen = [], set()
            for owner in (operation, path):
                if "parameters" not in owner:
                    continue
                for param in owner / "parameters":
                    key = ((param / "name").read_str(), (param / "in").read_str())
                    if key not in seen:
                        seen.add(key)
                        plan.append((param, *key))
            plans[(operation, path)] = plan
        errors = []
        validated = Parameters()
        for param, name, location in plan:
            try:
                value = self._get_parameter(parameters, param)  # type: ignore[attr-defined]
            except MissingParameter:
                continue
            except ParameterValidationError as exc:
                errors.append(exc)
                continue
            getattr(validated, location)[name] = value
        if errors:
            raise ParametersError(errors=errors, parameters=validated)
        return validated

    def _validate_schema(self, schema: SchemaPath, value: Any) -> None:
        validators = self._cache("validators")
        validator = validators.get(schema)
        if validator is None:
            validator = validators[schema] = self.schema_validators_factory.create(  # type: ignore[attr-defined]
                self.spec,
                schema,
                format_validators=self.format_validators,  # type: ignore[attr-defined]
                extra_format_validators=self.extra_format_validators,  # type: ignore[attr-defined]
                forbid_unspecified_additional_properties=self.forbid_unspecified_additional_properties,  # type: ignore[attr-defined]
                enforce_properties_required=self.enforce_properties_required,  # type: ignore[attr-defined]
            )
        validator.validate(value)

    def _unmarshal_schema(self, schema: SchemaPath, value: Any) -> Any:
        unmarshallers = self._cache("unmarshallers")
        unmarshaller = unmarshallers.get(schema)
        if unmarshaller is None:
            unmarshaller = unmarshallers[schema] = self.schema_unmarshallers_factory.create(  # type: ignore[attr-defined]
                self.spec,
                schema,
                format_validators=self.format_validators,  # type: ignore[attr-defined]
                extra_format_validators=self.extra_format_validators,  # type: ignore[attr-defined]
                forbid_unspecified_additional_properties=self.forbid_unspecified_additional_properties,  # type: ignore[attr-defined]
                enforce_properties_required=self.enforce_properties_required,  # type: ignore[attr-defined]
                format_unmarshallers=self.format_unmarshallers,  # type: ignore[attr-defined]
                extra_format_unmarshallers=self.extra_format_unmarshallers,  # type: ignore[attr-defined]
            )
        return unmarshaller.unmarshal(value)

    def _deserialise_style(
        self, param_or_header: SchemaPath, location: Mapping[str, Any], name: str | None = None
    ) -> Any:
        deserializers = self._cache("styles")
        key = (param_or_header, name)
        deserializer = deserializers.get(key)
        if deserializer is None:
            # Imported here: the module path moved between openapi-core releases.
            from openapi_core.schema.parameters import get_style_and_explode

            style, explode = get_style_and_explode(param_or_header)
            deserializer = deserializers[key] = self.style_deserializers_factory.create(  # type: ignore[attr-defined]
                self.spec,
                param_or_header / "schema",
                style,
                explode,
                name=name or (param_or_header / "name").read_str(),
            )
        return deserializer.deserialize(location)

    def _deserialise_media_type(
        self, media_type: SchemaPath, mimetype: str, parameters: Mapping[str, str], value: bytes
    ) -> Any:
        deserializers = self._cache("media types")
        key = (media_type, mimetype, tuple(sorted(parameters.items())))
        deserializer = deserializers.get(key)
        if deserializer is None:
            schema = media_type.get("schema")
            schema_validator = None
            if schema is not None:
                validators = self._cache("validators")
                schema_validator = validators.get(schema)
                if schema_validator is None:
                    schema_validator = validators[schema] = self.schema_validators_factory.create(  # type: ignore[attr-defined]
                        self.spec,
                        schema,
                        format_validators=self.format_validators,  # type: ignore[attr-defined]
                        extra_format_validators=self.extra_format_validators,  # type: ignore[attr-defined]
                        forbid_unspecified_additional_properties=self.forbid_unspecified_additional_properties,  # type: ignore[attr-defined]
                        enforce_properties_required=self.enforce_properties_required,  # type: ignore[attr-defined]
                    )
            deserializer = self.media_type_deserializers_factory.create(  # type: ignore[attr-defined]
                self.spec,
                mimetype,
                schema=schema,
                schema_validator=schema_validator,
                parameters=parameters,
                encoding=media_type.get("encoding") if "encoding" in media_type else None,
                extra_media_type_deserializers=self.extra_media_type_deserializers,  # type: ignore[attr-defined]
            )
            if len(deserializers) >= _MAX_MEDIA_DESERIALIZERS:
                deserializers.clear()
            deserializers[key] = deserializer
        deserialized = deserializer.deserialize(value)
        if mimetype.startswith("multipart/") and isinstance(deserialized, Mapping):
            # A file part arrives as bytes, which no JSON Schema type admits
            # (OpenAPI 3.1 has no "binary" type): it is kept, and checked, as
            # its base64 text, the form a JSON response carries it in.
            deserialized = {key: _as_text(part) for key, part in deserialized.items()}
        return deserialized


def _as_text(part: Any) -> Any:
    if isinstance(part, bytes):
        return base64.b64encode(part).decode("ascii")
    if isinstance(part, list):
        return [_as_text(item) for item in part]
    return part


def cached(base: type[Any]) -> type[Any]:
    """``base`` (an openapi-core validator or unmarshaller class) with :class:`CachedBuilds` first.

    Its numbers are cast exactly (``_casting``): ``٣`` is no 3.
    """
    namespace = {"schema_casters_factory": exact_casters(base.schema_casters_factory)}
    return type(f"Cached{base.__name__}", (CachedBuilds, base), namespace)
