"""A case as FHIR R4 resources (a plain package, not a Django app: no models, no ORM).

Named `fhir_r4`, not `fhir`: a top-level `fhir` package would shadow the `fhir.resources`
library, which is a namespace package under `fhir`.
"""
