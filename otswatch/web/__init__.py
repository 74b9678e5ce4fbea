"""The web page, feeds and API the daemon serves (Starlette on uvicorn)."""
