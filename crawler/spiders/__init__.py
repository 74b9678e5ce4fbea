"""Scrapy spiders. They parse and yield; storage happens in crawler.pipelines."""
