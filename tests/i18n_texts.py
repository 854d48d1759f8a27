"""What a page shows a student, as text, and the English left in it (the language AppTests, tests/ui/test_languages.py).

``main_texts(at)`` collects every piece of text of the main area: markdown, captions, titles, alerts, metric labels
and values, widget labels, help texts, options and placeholders, tab and expander labels, image captions, page
links, dataframe headers and text cells, and the words of plotly figures (titles, axis titles, legend names,
annotations, hover templates, colour-bar titles). ``english_left(texts, english_texts)`` says which of them are
English: a text that is the same as in the English page and has three or more words once names are taken out, or
a text with English function words (words no Vietnamese, German, Italian or Chinese sentence uses).
"""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

TEXT_FIELDS = {"body", "label", "help", "options", "placeholder", "caption", "captions", "text", "title", "delta"}
SKIP_FIELDS = {"spec", "id", "key", "form_id", "icon", "query_param_key", "page", "page_script_hash", "url", "css",
               "arrow_data", "data", "default", "value", "theme"}

# Names, codes and units that are the same in every language.
NAMES = re.compile(
    r"\b[a-z]+\d+-[\w.]+\b"  # run names (resnet20-fast12)
    r"|(?:Res[Nn]et|resnet|Plain|plain|wide_resnet|ResNeXt|resnext|VGG|vgg)[-_ ]?\d+(?:[-_x]\d+[a-z]*)?(?:\s?\(\w+\))?"
    r"|Grad-CAM|Integrated Gradients|Guided Backprop|BatchNorm\w*|CIFAR-?10|ImageNet|Tiny ImageNet|MNIST|FLOPs?|GFLOPs?"
    r"|MFLOPs?|PyTorch|torchvision|torch(?:\.hub)?|Streamlit|Babel|captum|Captum|safetensors|SGD|ReLU|conv\d*|CUDA|CPU|GPU"
    r"|He et al\.?|Veit et al\.?|Balduzzi et al\.?|Li et al\.?|Idelbayev|Kaiming|et al\.?|arXiv[:\s]*[\d.]+"
    r"|H\(x\)|F\(x\)|x\b|resnet-viz|ResNet|Resnet|Adam|AMP|ONNX|JPEG|PNG|CSV|HTML|ZIP|zip|URL|GiB|MiB|MB|KiB|s\b|ms\b"
    r"|[A-Z]{2,}\b|\b[a-z]+_[a-z_0-9]+\b|\S+\.(?:py|sh|json|pt|pth|th|csv|png|html|safetensors|zip|toml)\b"
    r"|https?://\S+|~?/[\w./-]+|`[^`]*`|:material/[a-z_]+:|:[a-z]+-background\[|<[^>]+>|&\w+;"
    r"|\*[A-Z][^*]{10,}\*"  # an italic paper title (*Deep Residual Learning for Image Recognition*)
    r"|%\{[^}]*\}|\blayer\d+(?:\.\d+)*|\b[Oo]ne-[Cc]ycle\b|\b\w+-fast\d+\b|Intersection over Union"
    r"|(?<![\w.])\.[a-z]{1,12}\b")  # file extensions (.pt, .safetensors)  # plotly fields, layer and run names
TOKEN = re.compile(r"[A-Za-z][A-Za-z']+")
# Function words of English sentences that are not words of the other languages (German "was", "also", "her", Italian
# "come", "data", "per", Vietnamese "to" are words there, so they are not in the list; "He" is He et al.).
ENGLISH = set("""the and of with is are this that from which each for than when where what how you your its has have
were been these those into only shows here there their between after before without because while less same both
every layers network networks accuracy error deeper image images click choose select loading waiting please shown
computed measured weights models classes until about under again cannot could would should will does
doesn don't isn't it's there's one two three first last next other another any some many much most very just like
such then them they we our us whose why yet across along among within against upon
""".split())


def _strings(msg, out: list[str]) -> None:
    for field, value in msg.ListFields():
        name = field.name
        if name in SKIP_FIELDS:
            continue
        if field.type == field.TYPE_MESSAGE:
            for v in (value if field.is_repeated else [value]):
                _strings(v, out)
        elif field.type == field.TYPE_STRING and name in TEXT_FIELDS:
            out.extend(value if field.is_repeated else [value])


def _figure_texts(spec: str, out: list[str]) -> None:
    fig = json.loads(spec)
    layout = fig.get("layout", {})

    def title(obj):
        t = obj.get("title") if isinstance(obj, dict) else None
        if isinstance(t, dict):
            t = t.get("text")
        if isinstance(t, str):
            out.append(t)

    title(layout)
    for k, v in layout.items():
        if isinstance(v, dict) and (k.startswith(("xaxis", "yaxis", "coloraxis", "legend", "scene"))):
            title(v)
            if isinstance(v.get("colorbar"), dict):
                title(v["colorbar"])
    for a in layout.get("annotations", []):
        if isinstance(a.get("text"), str):
            out.append(a["text"])
    for tr in fig.get("data", []):
        for k in ("name", "hovertemplate", "legendgrouptitle"):
            v = tr.get(k)
            if isinstance(v, dict):
                v = v.get("text")
            if isinstance(v, str):
                out.append(v)
        if isinstance(tr.get("colorbar"), dict):
            title(tr["colorbar"])
        if isinstance(tr.get("text"), str):
            out.append(tr["text"])


def main_texts(at: AppTest, block=None) -> list[str]:
    """Every text of the main area (or of ``block``, e.g. ``at.sidebar``; see the module's docstring), in page order."""
    out: list[str] = []
    for node in (at.main if block is None else block):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if kind == "plotly_chart" and proto is not None:
            _figure_texts(proto.spec, out)
            continue
        if kind in ("arrow_data_frame", "dataframe", "table"):
            try:
                df = node.value
                out.extend(str(c) for c in df.columns)
                for col in df.columns:
                    if df[col].dtype == object:
                        out.extend(str(v) for v in df[col].head(20) if isinstance(v, str))
            except Exception:  # noqa: BLE001 - a frame AppTest cannot read back
                pass
            continue
        if proto is not None and hasattr(proto, "ListFields"):
            _strings(proto, out)
    return [t for t in (s.strip() for s in out) if t]


def _words(text: str, extra_names=()) -> list[str]:
    text = NAMES.sub(" ", text)
    for name in extra_names:
        text = text.replace(name, " ")
    return TOKEN.findall(text)


def english_left(texts: list[str], english_texts: list[str], extra_names=()) -> list[str]:
    """The texts that are still English (see the module's docstring)."""
    same = set(english_texts)
    left = []
    for t in dict.fromkeys(texts):
        words = _words(t, extra_names)
        english = [w for w in words if w.lower() in ENGLISH]
        if t in same and len([w for w in words if len(w) > 1]) >= 3:
            left.append(f"{t}  [the same as in English]")
        elif english:
            left.append(f"{t}  [English words: {', '.join(english)}]")
    return left
