from scorecard.pagecache import warm_if_changed


class WarmPagesMixin:
    """For admin screens that change what pages show: render the pages readers open first
    inside the edit's transaction, so they are ready when it commits (see
    `scorecard.pagecache`). The admin answers these three inside its transaction."""

    def response_add(self, request, obj, post_url_continue=None):
        warm_if_changed()
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        warm_if_changed()
        return super().response_change(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        warm_if_changed()
        return super().response_delete(request, obj_display, obj_id)
