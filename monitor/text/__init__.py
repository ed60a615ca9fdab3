"""Pure text functions shared by the pipelines and `monitor extract`: decoding, extraction,
dates, language detection, URL canonicalisation. Nothing here touches the network or the reactor."""
