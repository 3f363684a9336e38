"""Upload routes whose file never rests on disk in clear, even while the request streams in (Art. 27-28, 35).

Starlette's form parser spools a file part over 1 MB to a clear temporary file before the route runs; a server
killed mid-stream would leave that on disk (and a live one holds it readable). The collection routers use
:class:`SealedUploadRoute`, whose requests parse multipart bodies with :class:`SealedFormParser`: each file part
goes straight into an :class:`edudata.ingest.incoming.SealedSpool` in the incoming folder, sealed chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

from edudata.ingest import incoming


class SealedFormParser(MultiPartParser):
    def __init__(self, *args: Any, spool: Callable[[], incoming.SealedSpool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spool = spool

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        upload = self._current_part.file
        if upload is not None:  # a file part: replace the clear spool (still empty) by a sealed one
            clear = upload.file
            upload.file = self._spool()
            self._files_to_close_on_error[-1] = upload.file
            clear.close()


class SealedRequest(Request):
    async def _get_form(self, *, max_files: int | float = 1000, max_fields: int | float = 1000,
                        max_part_size: int = 1024 * 1024) -> FormData:  # fmt: skip
        content_type = (self.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if self._form is not None or content_type != "multipart/form-data":
            return await super()._get_form(
                max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
            )
        settings = self.app.state.settings
        folder, limit = incoming.directory(settings), settings.max_upload_bytes
        parser = SealedFormParser(
            self.headers, self.stream(), max_files=max_files, max_fields=max_fields, max_part_size=max_part_size,
            spool=lambda: incoming.SealedSpool(folder, limit),
        )  # fmt: skip
        try:
            self._form = await parser.parse()
        except MultiPartException as exc:
            raise HTTPException(status_code=400, detail=exc.message) from None
        return self._form


class SealedUploadRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def sealed(request: Request) -> Response:
            return await handler(SealedRequest(request.scope, request.receive, request._send))

        return sealed
