from django.contrib.admin.apps import AdminConfig


class GridGovAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the site of ``gridgov.web.admin_site``."""

    default_site = "gridgov.web.admin_site.GridGovAdminSite"
