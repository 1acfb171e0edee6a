"""Query and path parameters shared by the list and item routes."""

from typing import Annotated

from fastapi import Path, Query

from service.types import MAX_INT64

# Any 64-bit integer is a well-formed id; one that does not exist is a 404, not a 422.
ProductId = Annotated[int, Path(ge=-MAX_INT64, le=MAX_INT64, description="Product id")]
OrderId = Annotated[int, Path(ge=-MAX_INT64, le=MAX_INT64, description="Order id")]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1-100)")]
Offset = Annotated[int, Query(ge=0, le=MAX_INT64, description="Items to skip")]
# NUL is refused up front: PostgreSQL text cannot hold it.
SafeText = r"^[^\x00]*$"
