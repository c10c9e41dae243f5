"""The web console: server-rendered pages (Jinja2, autoescaped), translated through
`govshare.core.i18n`, on the same services as the API. `console` holds the shared layout,
error, CSRF and flash machinery; `pages` the routes."""
