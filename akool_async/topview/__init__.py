"""TopView support: the same session machinery, scheduler and jobs, for TopView's open API.

::

    from akool_async.topview import TopViewSession

    async with TopViewSession(api_key, uid) as tv:
        image = await tv.upload("product.png")
        job = await tv.product_avatar.replace(product_image_file_id=image, avatar_id="...")
        replaced = await tv.result(job)
        video = await (await tv.product_avatar.image2video(replaced.first)).wait()

Families (for ``tv.create(name, fields)``, batch manifests and job tokens):
``topview_product_replace``, ``topview_product_image2video``, ``topview_product_image2video_v2``,
``topview_video_avatar``, ``topview_image2video``, ``topview_image2video_v2``,
``topview_text2video``, ``topview_text2image``.
"""

from ._callbacks import (
    CALLBACK_OK,
    DEFAULT_CALLBACK_PATH,
    TopViewCallback,
    TopViewCallbackReceiver,
    parse_callback,
    topview_callback_app,
    topview_callback_handler,
)
from ._common_tasks import (
    CommonTasks,
    ImageToVideoRequest,
    ImageToVideoV2Request,
    TextToImageRequest,
    TextToVideoRequest,
)
from ._errors import (
    TOPVIEW_CODES,
    SecurityRejected,
    ServerBusy,
    TaskInProgress,
    TopViewServerError,
    UploadFailed,
)
from ._families import BIZ_TYPES, TOPVIEW_FAMILIES, family_for_biz_type
from ._media import FORMATS, MAX_UPLOAD_BYTES, image_size
from ._models import (
    GeneratedMedia,
    MediaTaskResult,
    ProductReplaceResult,
    ReplacedImage,
    TopViewResult,
    UploadedFile,
    map_status,
    parse_result,
)
from ._product_avatar import (
    ProductAvatar,
    ProductImageToVideoRequest,
    ProductImageToVideoV2Request,
    ProductReplaceRequest,
)
from ._session import TOPVIEW, TopViewAuth, TopViewSession
from ._video_avatar import VideoAvatar, VideoAvatarRequest

__all__ = [
    "BIZ_TYPES",
    "CALLBACK_OK",
    "DEFAULT_CALLBACK_PATH",
    "FORMATS",
    "MAX_UPLOAD_BYTES",
    "TOPVIEW",
    "TOPVIEW_CODES",
    "TOPVIEW_FAMILIES",
    "CommonTasks",
    "GeneratedMedia",
    "ImageToVideoRequest",
    "ImageToVideoV2Request",
    "MediaTaskResult",
    "ProductAvatar",
    "ProductImageToVideoRequest",
    "ProductImageToVideoV2Request",
    "ProductReplaceRequest",
    "ProductReplaceResult",
    "ReplacedImage",
    "SecurityRejected",
    "ServerBusy",
    "TaskInProgress",
    "TextToImageRequest",
    "TextToVideoRequest",
    "TopViewAuth",
    "TopViewCallback",
    "TopViewCallbackReceiver",
    "TopViewResult",
    "TopViewServerError",
    "TopViewSession",
    "UploadFailed",
    "UploadedFile",
    "VideoAvatar",
    "VideoAvatarRequest",
    "family_for_biz_type",
    "image_size",
    "map_status",
    "parse_callback",
    "parse_result",
    "topview_callback_app",
    "topview_callback_handler",
]
