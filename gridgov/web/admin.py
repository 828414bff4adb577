"""The admin site's titles (translated; Chinese by default)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Grid-based Service Management · Administration")
admin.site.site_title = _("Grid-based Service Management")
admin.site.index_title = _("System configuration")
admin.site.site_url = "/"
