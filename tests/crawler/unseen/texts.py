"""Language material for the generated sites: written for these tests, no copied sentences.

Each language has month names as its media print them, headline and sentence patterns with
slots, and the site furniture (menu words, "read also", footer text) a news site carries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    months: tuple[str, ...]  # as printed in a date (genitive where the language uses it)
    headlines: tuple[str, ...]  # slots: {place}, {topic}, {n}
    sentences: tuple[str, ...]  # slots: {place}, {place2}, {topic}, {n}
    topics: tuple[str, ...]
    places: tuple[str, ...]
    menu: tuple[str, ...]
    read_also: str
    most_read: str
    about: str  # a paragraph for the footer and the /about page
    today: str  # "today" as in "сегодня, 09:05"; "" when the language form is not used
    views: str


RU = Language(
    "ru",
    ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
     "октября", "ноября", "декабря"),
    ("В {place} обсудили {topic}", "{place}: эксперты оценили {topic} на {n} лет вперёд",
     "Правительство {place} одобрило план по теме «{topic}»",
     "Делегации тюркских государств в {place} договорились о {topic}",
     "В {place} прошла встреча по вопросам {topic}"),
    ("Участники встречи в {place} обсудили {topic} и сроки запуска новых проектов.",
     "По словам организаторов, в мероприятии приняли участие более {n} человек из разных стран.",
     "Эксперты из {place2} отметили, что тема «{topic}» остаётся приоритетной для региона.",
     "Стороны подписали меморандум о сотрудничестве и договорились встретиться снова через год.",
     "Рабочая группа подготовит доклад к следующему заседанию, которое пройдёт в {place2}.",
     "Ранее подобные инициативы обсуждались на уровне министров, но без конкретных решений.",
     "Аналитики считают, что новые договорённости ускорят торговлю между странами.",
     "Министерство пообещало опубликовать подробности программы в ближайшие недели."),
    ("цифровизацию таможни", "транзитные перевозки", "водные ресурсы", "молодёжный обмен",
     "энергетические коридоры", "туристические маршруты", "поддержку малого бизнеса"),
    ("Астане", "Баку", "Бишкеке", "Ташкенте", "Анкаре", "Алматы", "Шуше", "Самарканде"),
    ("Главная", "Политика", "Экономика", "Общество", "Культура", "Спорт", "В мире"),
    "Читайте также", "Самое читаемое",
    "Информационное агентство основано в 2009 году. Мы публикуем новости региона на нескольких "
    "языках, следим за работой международных организаций и рассказываем о жизни городов. "
    "Перепечатка материалов разрешена только с активной ссылкой на источник.",
    "Сегодня", "Просмотров",
)  # fmt: skip

KK = Language(
    "kk",
    ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек",
     "қазан", "қараша", "желтоқсан"),
    ("{place} қаласында {topic} мәселесі талқыланды", "{place}: сарапшылар {topic} туралы пікір айтты",
     "Түркі мемлекеттері {place} қаласында {topic} бойынша келісті",
     "{place} қаласында {n} елдің өкілдері бас қосты"),
    ("Кездесуге қатысушылар {topic} мәселесін және жаңа жобалардың мерзімін талқылады.",
     "Ұйымдастырушылардың айтуынша, іс-шараға {n} адам қатысты.",
     "{place2} сарапшылары бұл тақырып өңір үшін маңызды екенін атап өтті.",
     "Тараптар ынтымақтастық туралы меморандумға қол қойды.",
     "Жұмыс тобы келесі отырысқа дейін баяндама дайындайды.",
     "Министрлік бағдарламаның толық мәліметтерін жақын арада жариялауға уәде берді."),
    ("цифрлық кеден", "транзиттік тасымал", "су ресурстары", "жастар алмасуы", "туризм"),
    ("Астана", "Алматы", "Түркістан", "Шымкент", "Баку", "Бішкек"),
    ("Басты бет", "Саясат", "Экономика", "Қоғам", "Мәдениет", "Спорт"),
    "Тағы оқыңыз", "Көп оқылған",
    "Ақпарат агенттігі 2009 жылы құрылған. Біз өңір жаңалықтарын бірнеше тілде жариялаймыз "
    "және халықаралық ұйымдардың жұмысын бақылаймыз. Материалдарды көшіру тек сілтеме арқылы.",
    "Бүгін", "Қаралды",
)  # fmt: skip

KY = Language(
    "ky",
    ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
     "октябрь", "ноябрь", "декабрь"),
    ("{place} шаарында {topic} талкууланды", "{place}: адистер {topic} боюнча пикир айтышты",
     "Түрк мамлекеттери {place} шаарында {topic} боюнча макулдашты",
     "{place} шаарында {n} өлкөнүн өкүлдөрү чогулушту"),
    ("Жолугушууга катышкандар {topic} маселесин жана жаңы долбоорлордун мөөнөтүн талкуулашты.",
     "Уюштуруучулардын айтымында, иш-чарага {n} адам катышты.",
     "{place2} адистери бул тема аймак үчүн маанилүү экенин белгилешти.",
     "Тараптар кызматташуу тууралуу меморандумга кол коюшту.",
     "Жумушчу топ кийинки жыйынга чейин баяндама даярдайт.",
     "Министрлик программанын чоо-жайын жакында жарыялоого убада берди."),
    ("санариптик бажы", "транзиттик ташуу", "суу ресурстары", "жаштар алмашуусу", "туризм"),
    ("Бишкек", "Ош", "Каракол", "Чолпон-Ата", "Астана", "Ташкент"),
    ("Башкы бет", "Саясат", "Экономика", "Коом", "Маданият", "Спорт"),
    "Дагы окуңуз", "Көп окулгандар",
    "Маалымат порталы 2012-жылы түзүлгөн. Биз аймактын жаңылыктарын жарыялайбыз жана "
    "эл аралык уюмдардын ишин көзөмөлдөйбүз. Материалдарды шилтеме менен гана колдонууга болот.",
    "", "Көрүүлөр",
)  # fmt: skip

UZ = Language(
    "uz",
    ("yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avgust", "sentyabr",
     "oktyabr", "noyabr", "dekabr"),
    ("{place}da {topic} masalasi muhokama qilindi", "{place}: ekspertlar {topic} haqida fikr bildirdi",
     "Turkiy davlatlar {place}da {topic} bo'yicha kelishib oldi",
     "{place}da {n} mamlakat vakillari yig'ildi"),
    ("Uchrashuv ishtirokchilari {topic} masalasini va yangi loyihalar muddatini muhokama qildi.",
     "Tashkilotchilarning so'zlariga ko'ra, tadbirda {n} kishi ishtirok etdi.",
     "{place2}lik ekspertlar bu mavzu mintaqa uchun muhimligini ta'kidladi.",
     "Tomonlar hamkorlik to'g'risidagi memorandumni imzoladi.",
     "Ishchi guruh keyingi yig'ilishgacha ma'ruza tayyorlaydi.",
     "Vazirlik dastur tafsilotlarini yaqin kunlarda e'lon qilishni va'da qildi."),
    ("raqamli bojxona", "tranzit tashish", "suv resurslari", "yoshlar almashinuvi", "turizm"),
    ("Toshkent", "Samarqand", "Buxoro", "Xiva", "Andijon", "Namangan"),
    ("Bosh sahifa", "Siyosat", "Iqtisodiyot", "Jamiyat", "Madaniyat", "Sport"),
    "Shuningdek o'qing", "Ko'p o'qilgan",
    "Axborot agentligi 2010 yilda tashkil etilgan. Biz mintaqa yangiliklarini bir necha tilda "
    "e'lon qilamiz. Materiallardan faqat havola bilan foydalanish mumkin.",
    "Bugun", "Ko'rishlar",
)  # fmt: skip

TR = Language(
    "tr",
    ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül",
     "Ekim", "Kasım", "Aralık"),
    ("{place}'da {topic} konusu ele alındı", "{place}: uzmanlar {topic} hakkında değerlendirme yaptı",
     "Türk devletleri {place}'da {topic} konusunda anlaştı",
     "{place}'da {n} ülkenin temsilcileri bir araya geldi"),
    ("Toplantıya katılanlar {topic} konusunu ve yeni projelerin takvimini görüştü.",
     "Organizatörlerin açıklamasına göre etkinliğe {n} kişi katıldı.",
     "{place2} kökenli uzmanlar konunun bölge için öncelikli olduğunu vurguladı.",
     "Taraflar iş birliğine ilişkin bir mutabakat zaptı imzaladı.",
     "Çalışma grubu bir sonraki toplantıya kadar rapor hazırlayacak.",
     "Bakanlık programın ayrıntılarını önümüzdeki haftalarda açıklayacağını bildirdi."),
    ("dijital gümrük", "transit taşımacılık", "su kaynakları", "gençlik değişimi", "turizm"),
    ("Ankara", "İstanbul", "İzmir", "Bursa", "Bakü", "Astana"),
    ("Ana Sayfa", "Siyaset", "Ekonomi", "Toplum", "Kültür", "Spor", "Dünya"),
    "Ayrıca okuyun", "En çok okunanlar",
    "Haber ajansımız 2008 yılında kuruldu. Bölgeden haberleri birkaç dilde yayımlıyor, "
    "uluslararası kuruluşların çalışmalarını takip ediyoruz. İçerikler kaynak gösterilerek kullanılabilir.",
    "Bugün", "Okunma",
)  # fmt: skip

AZ = Language(
    "az",
    ("yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr",
     "oktyabr", "noyabr", "dekabr"),
    ("{place}da {topic} müzakirə olunub", "{place}: ekspertlər {topic} barədə fikir bildirib",
     "Türk dövlətləri {place}da {topic} üzrə razılığa gəlib",
     "{place}da {n} ölkənin nümayəndələri toplaşıb"),
    ("Görüşün iştirakçıları {topic} məsələsini və yeni layihələrin vaxtını müzakirə ediblər.",
     "Təşkilatçıların sözlərinə görə, tədbirdə {n} nəfər iştirak edib.",
     "{place2} ekspertləri mövzunun region üçün vacib olduğunu qeyd ediblər.",
     "Tərəflər əməkdaşlıq haqqında memorandum imzalayıblar.",
     "İşçi qrup növbəti iclasa qədər məruzə hazırlayacaq.",
     "Nazirlik proqramın təfərrüatlarını yaxın həftələrdə açıqlayacağını bildirib."),
    ("rəqəmsal gömrük", "tranzit daşımalar", "su ehtiyatları", "gənclər mübadiləsi", "turizm"),
    ("Bakı", "Gəncə", "Şuşa", "Sumqayıt", "Naxçıvan", "Lənkəran"),
    ("Əsas səhifə", "Siyasət", "İqtisadiyyat", "Cəmiyyət", "Mədəniyyət", "İdman"),
    "Həmçinin oxuyun", "Ən çox oxunanlar",
    "Xəbər agentliyi 2011-ci ildə yaradılıb. Regionun xəbərlərini bir neçə dildə dərc edirik. "
    "Materiallardan yalnız istinadla istifadə etmək olar.",
    "Bu gün", "Baxış",
)  # fmt: skip

HU = Language(
    "hu",
    ("január", "február", "március", "április", "május", "június", "július", "augusztus",
     "szeptember", "október", "november", "december"),
    ("{place}: egyeztetés a(z) {topic} ügyében", "Szakértők értékelték a(z) {topic} helyzetét {place} városában",
     "A türk államok {place} városában állapodtak meg a(z) {topic} kérdéséről",
     "{n} ország képviselői találkoztak {place} városában"),
    ("A találkozó résztvevői a(z) {topic} kérdését és az új projektek ütemezését vitatták meg.",
     "A szervezők szerint az eseményen {n} ember vett részt.",
     "{place2} szakértői hangsúlyozták, hogy a téma kiemelt fontosságú a térség számára.",
     "A felek együttműködési megállapodást írtak alá.",
     "A munkacsoport a következő ülésig jelentést készít.",
     "A minisztérium a következő hetekben teszi közzé a program részleteit."),
    ("digitális vámkezelés", "tranzitszállítás", "vízgazdálkodás", "ifjúsági csere", "turizmus"),
    ("Budapest", "Debrecen", "Szeged", "Pécs", "Győr", "Ankara"),
    ("Címlap", "Belföld", "Külföld", "Gazdaság", "Kultúra", "Sport"),
    "Kapcsolódó cikkek", "Legolvasottabb",
    "Hírportálunk 2005 óta tudósít a térség eseményeiről. Cikkeink a forrás megjelölésével "
    "idézhetők, a teljes átvétel csak engedéllyel lehetséges.",
    "Ma", "Megtekintés",
)  # fmt: skip

EN = Language(
    "en",
    ("January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"),
    ("{place} hosts talks on {topic}", "Experts in {place} weigh {topic} for the next {n} years",
     "Turkic states agree on {topic} at {place} meeting",
     "Officials from {n} countries meet in {place} over {topic}"),
    ("Participants at the meeting in {place} discussed {topic} and the timetable for new projects.",
     "According to the organisers, more than {n} people took part in the event.",
     "Experts from {place2} said the issue remains a priority for the region.",
     "The sides signed a memorandum of cooperation and agreed to meet again next year.",
     "A working group will prepare a report before the next session in {place2}.",
     "The ministry promised to publish the details of the programme in the coming weeks.",
     "Analysts expect the new arrangements to speed up trade between the countries."),
    ("digital customs", "transit freight", "water resources", "youth exchanges", "tourism"),
    ("Astana", "Baku", "Bishkek", "Tashkent", "Ankara", "Budapest"),
    ("Home", "Politics", "Economy", "Society", "Culture", "Sport", "World"),
    "Read also", "Most read",
    "The agency was founded in 2009 and reports on the region in several languages. "
    "Reproduction of our materials is allowed only with a link to the source.",
    "Today", "Views",
)  # fmt: skip

LANGUAGES = {lang.code: lang for lang in (RU, KK, KY, UZ, TR, AZ, HU, EN)}


def headline(lang: Language, rng: random.Random, index: int) -> str:
    pattern = lang.headlines[index % len(lang.headlines)]
    return pattern.format(
        place=rng.choice(lang.places), topic=rng.choice(lang.topics), n=rng.randint(3, 40)
    )


def paragraphs(lang: Language, rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        chosen = rng.sample(lang.sentences, k=min(len(lang.sentences), rng.randint(2, 4)))
        out.append(
            " ".join(
                s.format(
                    place=rng.choice(lang.places),
                    place2=rng.choice(lang.places),
                    topic=rng.choice(lang.topics),
                    n=rng.randint(12, 900),
                )
                for s in chosen
            )
        )
    return out
