"""Query and path parameters shared by the list and item routes."""

from typing import Annotated

from fastapi import Path, Query

from service.types import MAX_ID

# Any integer up to 2**53 - 1 (exact in JSON and JavaScript clients) is a well-formed id;
# one that does not exist is a 404, not a 422.
ProductId = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID, description="Product id")]
OrderId = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID, description="Order id")]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1-100)")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip")]
# NUL is refused up front: PostgreSQL text cannot hold it.
SafeText = r"^[^\x00]*$"
