"""A small German, English and Chinese collection with queries whose answers are known.

Every query differs from its answer by what a language's analysis must handle: inflection
("Fahrräder" / "Fahrrad"), a hyphenated compound ("E-Mail-Adresse" found by "Adressen"), German
stopwords that an English analyzer counts ("der Hund und die Katze"), and Chinese words inside an
unsegmented sentence ("数据库" in "向量数据库支持...").
"""

from __future__ import annotations

GERMAN = {
    "de-haeuser": "Die Häuser in der Altstadt wurden im fünfzehnten Jahrhundert aus Holz gebaut.",
    "de-fahrrad": "Das Fahrrad ist in vielen Städten das schnellste Verkehrsmittel.",
    "de-bahnhof": "Der Bau des neuen Bahnhofs dauerte drei Jahre länger als geplant.",
    "de-winter": "Im Winter fallen die Temperaturen in den Bergen oft unter null Grad.",
    "de-garten": "Die Kinder spielten den ganzen Nachmittag im Garten hinter dem Haus.",
    "de-katze": "Die Katze, die der Nachbar hat, die schläft auf der Mauer, und der Nachbar schläft auch.",
    "de-hund": "Ein Hund jagt eine Katze über die Wiese.",
    "de-adresse": "Die E-Mail-Adresse des Kunden fehlt im Formular.",
}
ENGLISH = {
    "en-houses": "The houses in the old town were built from wood in the fifteenth century.",
    "en-bicycles": "Bicycles are the fastest way to travel in many cities.",
    "en-station": "Building the new railway station took three years longer than planned.",
    "en-winter": "In winter the temperature in the mountains often falls below freezing.",
}
CHINESE = {
    "zh-vector": "向量数据库支持混合检索和全文搜索。",
    "zh-beijing": "北京是中国的首都，有很多历史古迹。",
    "zh-datacenter": "我们在数据中心部署了新的服务器。",
    "zh-food": "这家餐厅的饺子非常好吃。",
    "zh-ai": "自然语言处理是人工智能的重要分支。",
}
LANGUAGE_OF = {**dict.fromkeys(GERMAN, "de"), **dict.fromkeys(ENGLISH, "en"), **dict.fromkeys(CHINESE, "zh")}
TEXTS = {**GERMAN, **ENGLISH, **CHINESE}

GERMAN_QUERIES = {
    "Fahrräder": "de-fahrrad",  # inflection
    "Adressen": "de-adresse",  # a part of a hyphenated compound, inflected
    "der Hund und die Katze": "de-hund",  # the answer differs from de-katze by stopwords
}
CHINESE_QUERIES = {
    "数据库": "zh-vector",
    "中国首都": "zh-beijing",
    "人工智能": "zh-ai",
    "服务器": "zh-datacenter",
}
ENGLISH_QUERIES = {
    "houses built of wood": "en-houses",
    "bicycle": "en-bicycles",
    "railway stations": "en-station",
}
