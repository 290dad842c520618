"""The kernel's QR helper gives one well-formed SVG element whose title is escaped text."""

import xml.etree.ElementTree as ElementTree

from liaison_shared.qr import svg


def test_a_qr_code_is_one_svg_element_with_an_escaped_title():
    # our own output, not untrusted input
    element = ElementTree.fromstring(svg("https://example.cn/track/K7Q2-9XD4", title="进度 <查询> & 评价"))  # noqa: S314
    assert element.tag == "svg"
    assert element.find("title").text == "进度 <查询> & 评价"
    assert int(element.get("width")) == int(element.get("height")) > 0


def test_a_longer_link_makes_a_larger_code():
    short, long = (ElementTree.fromstring(svg(url))  # noqa: S314 (our own output)
                   for url in ("https://a.cn/t/1", "https://a.cn/t/" + "x" * 120))
    assert int(long.get("width")) > int(short.get("width"))
