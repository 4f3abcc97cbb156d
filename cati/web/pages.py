"""The web pages: server-rendered HTML forms, no JavaScript, one small inline style sheet.

A page is a few kilobytes and needs nothing from a network (the machines that serve it may have
no internet). The page's words around the questionnaire (buttons, notices) follow the
questionnaire's language: English for a language whose name says English or (en), else Chinese.
"""

from __future__ import annotations

from jinja2 import Environment
from markupsafe import Markup

CSS = """
*{box-sizing:border-box}body{margin:0;font:18px/1.5 system-ui,sans-serif;color:#1b1b1b;
background:#f4f5f7}main{max-width:40rem;margin:0 auto;padding:1rem;background:#fff;
min-height:100vh}h1{font-size:1.05rem;margin:0 0 .5rem;color:#44505c}
nav{font-size:.9rem;margin-bottom:.5rem}nav a{margin-right:1rem;color:#0b5cad}
.bar{height:6px;background:#e3e6ea;border-radius:3px;margin:.5rem 0 1rem}
.bar span{display:block;height:6px;background:#1f7a4d;border-radius:3px}
fieldset{border:0;padding:0;margin:0}legend{font-size:1.2rem;font-weight:600;margin-bottom:.5rem}
.hint{color:#5a6470;font-size:.95rem;margin:.25rem 0 .75rem}
.error{color:#a4000f;background:#fdecee;border-left:4px solid #a4000f;padding:.5rem .75rem}
.opt{display:flex;gap:.6rem;align-items:center;border:1px solid #cfd5dc;border-radius:8px;
padding:.7rem .8rem;margin:.45rem 0}.opt input{width:1.3rem;height:1.3rem;margin:0}
input[type=text],input[type=date],input[type=time],input[type=datetime-local],textarea{
width:100%;font:inherit;padding:.6rem;border:1px solid #9aa5b1;border-radius:8px}
textarea{min-height:6rem}.nav{display:flex;flex-direction:row-reverse;gap:.75rem;margin-top:1.25rem}
button{font:inherit;padding:.75rem 1.25rem;border-radius:8px;border:0;background:#1f7a4d;
color:#fff;flex:1}button.sec{background:#e3e6ea;color:#1b1b1b;flex:0 0 auto}
.end{font-size:1.15rem;margin:2rem 0}
""".replace("\n", "")

WORDS = {
    "zh": {"next": "下一题", "back": "上一题", "start": "开始填写", "submit": "提交",
           "intro": "本问卷匿名填写,只有您本人的回答会发送到服务器。",
           "complete": "问卷已提交,谢谢您的参与!", "quota": "与您情况相同的受访者名额已满,谢谢您的参与!",
           "done": "您已完成这份问卷,谢谢!", "unknown": "链接无效,请检查后重试。",
           "expired": "这个邀请链接已过期。", "used": "这份问卷已经完成,链接不能再次使用。谢谢!",
           "busy": "访问员正在与您通话,请稍后再打开链接。", "closed": "本次调查已经结束,谢谢!",
           "paused": "本次调查暂停填答,请稍后再来,谢谢!",
           "duplicate": "本网络已提交多份问卷,请勿重复填写。谢谢!",
           "limited": "请求过于频繁,请稍后再试。", "foreign": "请在问卷网页上作答。",
           "ok": "确认", "language": "语言"},
    "en": {"next": "Next", "back": "Back", "start": "Start", "submit": "Submit",
           "intro": "The questionnaire is anonymous; only your own answers are sent to the "
                    "server.",
           "complete": "Your answers have been sent. Thank you for taking part!",
           "quota": "We already have all the answers we need from people in your situation. Thank you!",
           "done": "You have already answered this questionnaire. Thank you!",
           "unknown": "This link is not valid; please check it.",
           "expired": "This invitation has expired.",
           "used": "This questionnaire is complete; the link cannot be used again. Thank you!",
           "busy": "An interviewer is on the phone with you; please open the link later.",
           "closed": "This survey has ended. Thank you!",
           "paused": "This survey is paused; please come back later. Thank you!",
           "duplicate": "Several questionnaires have come from this network already; please "
                        "answer only once. Thank you!",
           "limited": "Too many requests; please try again in a minute.",
           "foreign": "Please answer on the questionnaire's own page.", "ok": "OK",
           "language": "Language"},
}

_LAYOUT = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ title }}</title><style>{{ css }}</style></head><body><main>
<h1>{{ title }}</h1>
{%- if languages|length > 1 %}<nav aria-label="{{ w.language }}">{% for code in languages %}
<a href="?lang={{ code|urlencode }}">{{ code }}</a>{% endfor %}</nav>{% endif %}
{{ body }}</main></body></html>"""

_QUESTION = """<div class="bar"><span style="width:{{ s.progress }}%"></span></div>
<form method="post" autocomplete="off"><input type="hidden" name="item" value="{{ s.item }}">
<fieldset><legend id="label">{{ s.label }}</legend>
{%- if s.hint %}<p class="hint">{{ s.hint }}</p>{% endif %}
{%- if error %}<p class="error" role="alert" id="error">{{ error }}</p>{% endif %}
{%- if s.kind == "select_one" %}{% for c in s.choices %}
<label class="opt"><input type="radio" name="value" value="{{ c.value }}"
{%- if c.checked %} checked{% endif %}>{{ c.label }}</label>{% endfor %}
{%- elif s.kind == "select_multiple" %}{% for c in s.choices %}
<label class="opt"><input type="checkbox" name="value" value="{{ c.value }}"
{%- if c.checked %} checked{% endif %}>{{ c.label }}</label>{% endfor %}
{%- elif s.kind == "acknowledge" %}<label class="opt"><input type="checkbox" name="value"
value="OK"{% if value %} checked{% endif %}>{{ w.ok }}</label>
{%- elif s.kind == "text" %}<textarea name="value" id="value" aria-labelledby="label">
{{- value }}</textarea>
{%- elif s.kind in inputs %}<input type="{{ inputs[s.kind][0] }}"
{%- if inputs[s.kind][1] %} inputmode="{{ inputs[s.kind][1] }}"{% endif %} name="value"
id="value" value="{{ value }}" aria-labelledby="label">
{%- endif %}</fieldset>
<div class="nav"><button name="action" value="next" id="next">{{ w.next }}</button>
{%- if s.can_go_back %}<button name="action" value="back" class="sec" id="back">{{ w.back }}
</button>{% endif %}</div></form>"""

_START = """<p>{{ w.intro }}</p><form method="post"><div class="nav">
<button name="action" value="start" id="start">{{ w.start }}</button></div></form>"""

_END = """<p class="end" id="end">{{ text }}</p>"""

INPUTS = {"integer": ("text", "numeric"), "decimal": ("text", "decimal"),
          "date": ("date", ""), "time": ("time", ""), "dateTime": ("datetime-local", "")}

_env = Environment(autoescape=True)
_layout = _env.from_string(_LAYOUT)
_question = _env.from_string(_QUESTION)
_start = _env.from_string(_START)
_end = _env.from_string(_END)


def words_for(language: str) -> dict[str, str]:
    lowered = language.lower()
    return WORDS["en"] if "english" in lowered or "(en)" in lowered else WORDS["zh"]


def _page(title: str, language: str, languages: tuple[str, ...], body: str) -> str:
    words = words_for(language)
    lang = "en" if words is WORDS["en"] else "zh"
    return _layout.render(title=title, css=CSS, lang=lang, languages=languages, w=words,
                          body=Markup(body))  # rendered (escaped) by our own templates


def question_page(screen, *, error: str | None = None, typed: str | None = None) -> str:
    value = screen.value if typed is None else typed
    body = _question.render(s=screen, error=error, value=value, inputs=INPUTS,
                            w=words_for(screen.language))
    return _page(screen.title, screen.language, screen.languages, body)


def start_page(title: str, language: str, languages: tuple[str, ...]) -> str:
    return _page(title, language, languages, _start.render(w=words_for(language)))


def end_page(title: str, language: str, text: str) -> str:
    return _page(title, language, (), _end.render(text=text))
