"""The crawl: what runs inside a Scrapy crawler besides the spiders and the pipelines (the request
guard, the seen-record), and what starts and reports crawls."""
