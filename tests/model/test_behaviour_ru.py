"""Behaviour of the trained Russian model in models/ru.

Minimum functionality (clear cases per label, hard negatives), invariance (names of
people, places, countries and agencies change no label), directional (adding a denial
raises the denial score, a minimiser raises downplaying, dropping an accusation lowers
blame). The metric floors are in test_floors.py. The sentences here were written
in Russian for these tests, in the registers of the corpus (agency wire, ministry
briefing, talk show, Telegram, parliament, independent media); they are not translations
of the English tests and are in no training file.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from tests.model import served

labels_of = partial(served.labels_of, "ru")
score = partial(served.score, "ru")


CLEAR: dict[str, list[Any]] = {
    "blame_attribution": [
        # agency wire
        "Губернатор Северо-Озёрской области возложил ответственность за срыв "
        "отопительного сезона на руководство управляющей компании «Теплосеть-Юг».",
        # ministry briefing
        "Вся ответственность за обострение в приграничье лежит на руководстве Велесии, "
        "которое продолжает накачивать свои отряды оружием, заявила официальный "
        "представитель министерства.",
        # talk show
        "ВЕДУЩИЙ: Давайте называть вещи своими именами: город сидит без света, потому что "
        "подрядчик годами клал в карман деньги на ремонт подстанций.",
        # Telegram
        "Бензиновый кризис в крае — прямое следствие жадности местных перекупщиков, "
        "которых годами крышевала мэрия. Делайте выводы.",
        # parliament
        "Депутат Кравцов с трибуны обвинил министерство здравоохранения в преступной "
        "халатности, из-за которой районные больницы остались без лекарств.",
        # independent media: a charge reported as such
        "Следователи предъявили бывшему главе Заречного района обвинение в хищении "
        "средств, выделенных на строительство дамбы.",
        # independent media: instructions to blame
        # (an instruction to blame with no blame verb; missed before the whole documents)
        "По данным наших источников, редакциям региональных телеканалов велели объяснять "
        "перебои с водой диверсиями «иностранных агентов».",
    ],
    "downplaying": [
        # agency wire
        "Посетители торгового центра отделались лёгкими ушибами при обрушении кровли, "
        "ситуация под контролем и поводов для беспокойства нет, сообщили в администрации.",
        # ministry briefing
        "Выброс аммиака на химкомбинате представитель ведомства назвал локальным "
        "техническим инцидентом, не заслуживающим особого внимания.",
        # talk show
        "ГОСТЬ: Ну какие «массовые задержания»? Прихватили горстку хулиганов, подержали "
        "пару часов и отпустили, о чём тут вообще говорить?",
        # Telegram
        "Так называемый «разлив нефти» у Белой косы — пара пятен мазута на песке, которые "
        "уже убрали волонтёры. Паникёрам можно расходиться.",
        # ministry briefing: harm dismissed as exaggerated
        "Цифры о сотнях погибших, которые гуляют по соцсетям, многократно завышены, а "
        "реальный масштаб происшествия несопоставим с поднятой шумихой.",
        # independent media: reported euphemism
        "Массовые увольнения на автозаводе в Каменске руководство предприятия называет "
        "«оптимизацией штатного расписания».",
        # parliament
        "Депутат от правящей партии заявил с трибуны, что проблема задержек зарплат "
        "бюджетникам сильно раздута и касается лишь единичных случаев.",
    ],
    "official_denial": [
        # ministry briefing
        "В министерстве обороны категорически опровергли сообщения об ударе по больнице "
        "в Заречье, назвав их очередным фейком.",
        # agency wire
        "Пресс-служба компании «Северный никель» отвергла обвинения экологов в сбросе "
        "неочищенных стоков в реку как не соответствующие действительности.",
        # independent media
        "В полиции заявили, что не имеют никакого отношения к исчезновению активиста, и "
        "отказались признать сам факт его задержания.",
        # talk show: a deputy is an office holder
        "ГОСТЬ, депутат: Это видео — постановка от первого до последнего кадра, никаких "
        "избиений в изоляторе не было.",
        # parliament: an office holder denying allegations about his own conduct
        "Председатель комитета отверг обвинения в конфликте интересов, заявив, что не "
        "имеет никакого отношения к фирме, получившей подряд.",
        # Telegram
        "Администрация города опровергла слухи о закрытии детской больницы: «Это ложь, "
        "больница продолжит работать в прежнем режиме».",
        # agency wire: dismissal as fake
        "Посольство Велесии назвало опубликованную переписку грубой фальшивкой.",
    ],
}

NONE = [
    # declining to comment is not a denial
    "Представитель министерства отказался от комментариев по поводу хода расследования.",
    "В пресс-службе ГУВД от комментариев отказались, сославшись на тайну следствия.",
    # a court rejecting a lawsuit, bail or a visa refused: refusals, not denials
    "Арбитражный суд отказал в иске фермерскому хозяйству «Рассвет» к поставщику удобрений.",
    "Суд отказал задержанным в освобождении под залог.",
    "Консульство отказало в выдаче визы двум участникам делегации.",
    # neutral «всего», «лишь», «незначительный»
    "Всего в общественных слушаниях по проекту парка приняли участие 412 жителей посёлка.",
    "Билеты на спектакль можно купить лишь в кассе театра.",
    "В выходные ожидается незначительное похолодание, осадков синоптики не прогнозируют.",
    "Разница между кандидатами по итогам подсчёта оказалась незначительной — 0,4 процента.",
    # a small number stated plainly
    "При пожаре в гаражном кооперативе пострадали два человека, обоих доставили в больницу.",
    # causes that are not actors; findings without fault
    "Аграрии Приволжского района объясняют неурожай подсолнечника аномальной июльской жарой.",
    "Следователи устанавливают причины пожара на складе стройматериалов.",
    # who did an action, with no fault language
    "Завод «Прогресс» сократил триста рабочих мест на линии сборки.",
    # an insult by a named politician with no harm or fault attached
    "Депутат Соколов назвал своего оппонента по дебатам клоуном.",
    # «ответственный», «единственный» in neutral use
    "Чиновник, ответственный за дорожное хозяйство области, уходит на пенсию в апреле.",
    "Паром остаётся единственным способом добраться до посёлка зимой.",
    # furniture: boilerplate, dateline and byline, a headline without a move
    "Включите уведомления, а если хотите помочь редакции, оформите ежемесячное пожертвование.",
    "ЯРОСЛАВЛЬ, 12 мая — корреспондент агентства Андрей Лебедев.",
    "В Каменске открылась новая школа на 800 мест",
    # an institution answering reports without denying anything
    pytest.param(
        "Пресс-служба комбината выступила с заявлением по поводу публикаций о нарушениях "
        "техники безопасности.",
        marks=pytest.mark.xfail(
            reason="labelled official_denial: a statement about publications is read as a "
            "rejection of them",
            strict=True,
        ),
    ),
]


def with_label(label: str, case: Any) -> Any:
    """A (label, text) parameter; a `pytest.param` case keeps its marks."""
    if isinstance(case, str):
        return pytest.param(label, case)
    (text,) = case.values
    return pytest.param(label, text, marks=case.marks)


@pytest.mark.parametrize(
    ("label", "text"), [with_label(k, t) for k, ts in CLEAR.items() for t in ts]
)
def test_clear_cases_get_their_label(label: str, text: str) -> None:
    assert label in labels_of(text), (text, labels_of(text))


@pytest.mark.parametrize("text", NONE)
def test_hard_negatives_get_no_label(text: str) -> None:
    assert labels_of(text) == set(), (text, labels_of(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "В пресс-службе ГУФСИН назвали сообщения о пытках вымыслом и заявили, что "
            "беспорядки в колонии спровоцировали сами заключённые по указке извне.",
            {"official_denial", "blame_attribution"},
        ),
        (
            "В министерстве отвергли данные о массовом отравлении в лагере, заявив, что речь "
            "идёт лишь о нескольких случаях лёгкого недомогания.",
            {"official_denial", "downplaying"},
        ),
    ],
)
def test_two_moves_in_one_sentence(text: str, expected: set[str]) -> None:
    assert expected <= labels_of(text), (text, labels_of(text))


# {a}: a country, city, company or capital in the genitive; {b}: a person or agency in the
# nominative singular. Verbs are in the present tense, so the gender of {b} does not matter.
BASE = ("Велесии", "министр Окороков")
SWAPS = [
    ("Кельтории", "министр Лундквист"),
    ("Нижнеозёрска", "губернатор Абдуллаева"),
    ("компании «Полярный металл»", "агентство «Вектор»"),
    ("Тбилиси", "посол Мкртчян"),
]
TEMPLATES = [
    "{b} называет обвинения со стороны {a} беспочвенными и политически мотивированными.",
    "{b} возлагает ответственность за блэкаут в столице на руководство {a}.",
    "{b} называет взрыв на территории {a} мелким техническим инцидентом.",
    "На территории {a} во вторник прошли дожди, а {b} сообщает, что транспорт работает "
    "в обычном режиме.",
]


def fill(template: str, a: str, b: str) -> str:
    text = template.format(a=a, b=b)
    return text[0].upper() + text[1:]


@pytest.mark.parametrize("template", TEMPLATES)
def test_names_do_not_change_labels(template: str) -> None:
    base = labels_of(fill(template, *BASE))
    for a, b in SWAPS:
        assert labels_of(fill(template, a, b)) == base, (template, a, b)


@pytest.mark.parametrize(
    "text",
    [
        "В министерстве обороны прокомментировали сообщения об обстреле посёлка Луговое.",
        "Пресс-служба комбината выступила с заявлением по поводу публикаций о нарушениях "
        "техники безопасности.",
        "Губернатор ответил на вопросы журналистов об обвинениях в подтасовке итогов голосования.",
    ],
)
def test_adding_a_denial_raises_the_denial_score(text: str) -> None:
    denied = text.rstrip(".") + ", категорически опровергнув их."
    assert score(denied, "official_denial") > score(text, "official_denial") + 0.2


@pytest.mark.parametrize(
    ("plain", "minimised"),
    [
        (
            "На шахте «Глубокая» при обрушении породы пострадали семь горняков.",
            "На шахте «Глубокая» при обрушении породы пострадали всего-то несколько "
            "горняков, да и те отделались лёгким испугом.",
        ),
        (
            "В результате паводка без жилья остались 340 семей, сообщили в районной администрации.",
            "В результате паводка временные неудобства испытали лишь несколько семей, "
            "сообщили в районной администрации, назвав ситуацию штатной.",
        ),
    ],
)
def test_adding_a_minimiser_raises_the_downplaying_score(plain: str, minimised: str) -> None:
    assert score(minimised, "downplaying") > score(plain, "downplaying") + 0.2


@pytest.mark.parametrize(
    ("blamed", "neutral"),
    [
        (
            "Мэр обвинил связанные с оппозицией группировки в волне поджогов, прокатившейся "
            "по городу.",
            "На прошлой неделе по городу прокатилась волна поджогов, сообщил мэр.",
        ),
        (
            "Депутат Белов заявил, что в срыве программы расселения аварийного жилья виноват "
            "лично министр строительства.",
            "Депутат Белов заявил, что программа расселения аварийного жилья выполнена на "
            "60 процентов.",
        ),
    ],
)
def test_removing_the_accusation_lowers_the_blame_score(blamed: str, neutral: str) -> None:
    assert score(neutral, "blame_attribution") < score(blamed, "blame_attribution") - 0.2
