"""The bundled sample sites: a GBK government site with a JavaScript pager, a Chinese news feed, an
English news site with a news sitemap (`www/`), and the documents fixture (`docs/`: a provincial
policy site with PDF attachments and two stock-exchange announcement APIs). `make demo` serves
them on 127.0.0.1; the tests crawl them."""

from pathlib import Path

SITES = Path(__file__).parent
