"""The provider-neutral description of a job family and of its status endpoint.

Each provider declares its families as :class:`Family` records (Akool in ``_akool/``, TopView in
``topview/``); the session, the scheduler, the batch runner and the fake servers read them.
Nothing here knows a provider's paths or field names: each provider's own helper fills them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

from attrs import field, frozen

__all__ = ["Family", "StatusEndpoint", "family_table"]


@frozen(slots=True)
class StatusEndpoint:
    """How to ask for the status of ids.

    Single-id endpoints take ``?{id_param}=ID``, or, with ``id_in_path``, the id in the path
    where ``path`` says ``{id}`` (``/voice/detail/{id}``); batch endpoints take comma-separated
    ids in ``id_param`` (query string for GET, JSON body for POST) and answer a list of results.
    ``result_key`` names the member of ``data`` holding the status object, where the answer
    nests it (``data.result``) instead of answering it as ``data`` itself. ``data_list``: a
    single-id answer whose ``data`` is a list holding the status object (avatar detail).
    """

    path: str
    method: Literal["GET", "POST"] = "GET"
    id_param: str = field(kw_only=True)
    batch: bool = False
    id_in_path: bool = field(default=False, kw_only=True)
    result_key: str | None = field(default=None, kw_only=True)
    data_list: bool = field(default=False, kw_only=True)

    def url_path(self, job_id: str) -> str:
        """The request path for ``job_id`` (``path`` itself unless the id goes in it)."""
        if not self.id_in_path:
            return self.path
        return self.path.replace("{id}", quote(job_id, safe=""))

    def status_object(self, data: Any, job_id: str) -> Any:
        """The status object of ``job_id`` in a single-id answer's ``data`` (as found).

        With ``data_list``, a list ``data`` gives its element whose ``_id`` is ``job_id``, or its
        only element when that has no ``_id``; None when no element is the job's. An object
        ``data`` is taken as it is.
        """
        if self.result_key is not None and isinstance(data, Mapping):
            data = data.get(self.result_key)
        if not (self.data_list and isinstance(data, list)):
            return data
        for item in data:
            if isinstance(item, Mapping) and item.get("_id") == job_id:
                return item
        only = data[0] if len(data) == 1 else None
        return only if isinstance(only, Mapping) and "_id" not in only else None

    @property
    def key(self) -> str:
        """Identity used to group ids that can share one batch request."""
        return f"{self.method} {self.path}"


@frozen(slots=True)
class Family:
    """One job family.

    Attributes:
        name: the family's name in the SDK, CLI manifests and job tokens.
        create_path: POST path that creates the job.
        request_type: the attrs class of the create body.
        status: how to poll it.
        status_field: field of the status object holding the status.
        result_field: field holding the result URL.
        webhook_key: this endpoint's spelling of the webhook URL field.
        webhook_type: the ``type`` the provider puts in this family's webhook payloads.
        renames: SDK field name -> API field name, where they differ.
        created_ids: where the create answer lists the new jobs: ``data._id``, ``all_results``
            (one job per language), ``list`` (``data`` is a list of jobs), or ``success_list``
            (``data.successList`` holds the created jobs, ``data.errorList`` the refused ones).
        typical_duration: prior guess of a job's total duration (seconds), replaced by learning.
        result_suffix: file suffix of the result.
        result_is_file: False where the result field holds the answer itself (text or data,
            such as a moderation verdict) rather than the URL of a file to download.
    """

    name: str
    create_path: str
    request_type: type[Any]
    status: StatusEndpoint
    status_field: str = field(kw_only=True)
    result_field: str = field(kw_only=True)
    webhook_key: str = field(kw_only=True)
    webhook_type: str = ""
    renames: Mapping[str, str] = field(factory=dict)
    created_ids: Literal["single", "all_results", "list", "success_list"] = "single"
    typical_duration: float = 60.0
    result_suffix: str = ".mp4"
    result_is_file: bool = True


def family_table(*parts: tuple[Family, ...]) -> Mapping[str, Family]:
    """One provider's family table, by name, from its areas' entries (in order).

    Raises:
        ValueError: when two areas declare the same name.
    """
    table: dict[str, Family] = {}
    for part in parts:
        for fam in part:
            if fam.name in table:
                raise ValueError(f"family {fam.name!r} declared twice")
            table[fam.name] = fam
    return table
