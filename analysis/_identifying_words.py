"""Word lists for redaction (`analysis.redaction`): what stays, and what marks a name or a handle.

Written for this project. Places and shops are kept because children name them all the time ("we
went to Tesco", "yng Nghaerdydd") and they do not point to a child; a name of a person never is.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.lower().split())


# Places in Wales and England children mention (English and Welsh names), and words that make up
# place names. A Welsh place after a preposition mutates ("i Gaerdydd", "yng Nghaerdydd"): the
# redactor undoes the mutation before it looks here.
PLACES = _words("""
    Cardiff Caerdydd Swansea Abertawe Newport Casnewydd Wrexham Wrecsam Bangor Aberystwyth
    Caernarfon Llandudno Rhyl Conwy Llanelli Carmarthen Caerfyrddin Pontypridd Merthyr Tudful Tydfil
    Barry Barri Penarth Bridgend Pen-y-bont Caerphilly Caerffili Cwmbran Cwmbrân Neath Castell-nedd
    Port Talbot Porthcawl Tenby Dinbych-y-pysgod Pembroke Penfro Haverfordwest Hwlffordd Brecon
    Aberhonddu Monmouth Trefynwy Abergavenny Y-Fenni Ebbw Vale Glyn Ebwy Rhondda Treorchy Treorci
    Aberdare Aberdâr Llantrisant Bala Dolgellau Porthmadog Pwllheli Holyhead Caergybi Anglesey Môn
    Ynys Mold Yr Wyddgrug Denbigh Dinbych Ruthin Rhuthun Prestatyn Llangollen Welshpool Y Trallwng
    Newtown Drenewydd Machynlleth Cardigan Aberteifi Lampeter Llanbedr Ammanford Rhydaman Gorseinon
    Gower Gŵyr Mumbles Mwmbwls Chepstow Cas-gwent Blackwood Coed-duon Bargoed Ystrad Mynach Tonypandy
    Porth Ferndale Maesteg Pontypool Pont-y-pŵl Llanishen Ely Grangetown Splott Canton Treganna
    Roath Y Rhath Cathays Llandaff Llandaf Whitchurch Rhiwbina Pentwyn Llanrumney Butetown Adamsdown
    Gwent Glamorgan Morgannwg Powys Gwynedd Dyfed Clwyd Ceredigion Pembrokeshire Sir Benfro
    Carmarthenshire Monmouthshire Flintshire Fflint Snowdonia Eryri Snowdon Yr Wyddfa Valleys
    Cymoedd Cymru Wales London Llundain Manchester Leeds Birmingham Liverpool Lerpwl Bristol Bryste
    Sheffield Newcastle Nottingham Leicester Coventry Oxford Rhydychen Cambridge Chester Caer
    Gloucester Caerloyw Hereford Henffordd Shrewsbury Amwythig Bath Plymouth Exeter Brighton
    Blackpool Glasgow Edinburgh Caeredin Belfast Dublin Dulyn Scotland Alban England Lloegr Ireland
    Iwerddon Europe Ewrop America Spain Sbaen France Ffrainc Poland Gwlad Pwyl Romania Rwmania
    Pakistan India Bangladesh Nigeria Somalia Syria Syria Turkey Twrci Portugal Italy Greece Dubai
    Disneyland Florida Tenerife Majorca Benidorm Africa Affrica Asia
    Bay Bae City Dinas Island Ynys Town Tref Towers Stadium Stadiwm Principality Castle Castell
    Centre Canolfan Park Museum Amgueddfa Zoo Beach Traeth Pier Marina Valley Cwm Mountain Mynydd
    River Afon Lake Llyn Forest Coed Hospital Ysbyty Heath Fagans Ffagan Sain St Alton Thorpe Oakwood
    Folly Farm Techniquest Llan-llyn Glan-llyn Langland Rest Bay Barafundle United Rovers Athletic
    Dragons Scarlets Ospreys Blues Coleg College Prifysgol University Urdd Eisteddfod Senedd
""")

# Shops, restaurants, brands and services children name: they stay.
SHOPS = _words("""
    Co-op Coop Tesco Tesco's Tescos Asda Aldi Lidl Morrisons Sainsbury's Sainsburys Spar Waitrose Iceland
    Greggs McDonald's McDonalds Maccies Maccy's KFC Subway Nando's Nandos Burger King Domino's Dominos
    Pizza Hut Costa Starbucks Wetherspoons Spoons Primark JD Sports Boots Superdrug Specsavers Clarks
    B&M Home Bargains Bargains Poundland Wilko Argos Currys Smyths Game Next H&M Matalan TK Maxx
    Sports Direct Halfords Screwfix Ikea Amazon Apple Samsung iPhone iPad Android Nike Adidas Puma
    Greggs' Premier Londis Nisa Extra Express Metro Superstore Leisure Vue Odeon Cineworld Bowl
    Lego Nintendo Switch PlayStation Xbox Fortnite Minecraft Roblox FIFA Netflix Disney Spotify
    Google Classroom Teams Hwb Seesaw Sparx Duolingo Kahoot Quizlet Canva Chromebook Microsoft
""")

# Welsh words that are also first names in other lists, or that a names list would catch, and
# short Welsh words: they stay when written in lower case ("mae'r eira", "haf poeth").
WELSH_WORDS = _words("""
    eira haf seren sêr gwen glyn bryn afon heulwen awel mair mam dad nain taid nan mam-gu tad-cu
    mae yn ac a ar am at i o y yr 'r fi ti hi fe nhw ni chi dim da iawn ond os pan pam sut beth pwy
    dw dwi rwy rydw ydw ydy oedd roedd bydd gyda wedi heb achos felly hefyd eto byth bob pob rhai
    ysgol athro athrawes athrawon disgyblion plant ffrind ffrindiau brawd chwaer mrawd frawd chwaer
    cas neis hapus trist unig ofn diogel bws tre dre siop bwyd cinio egwyl gwers gwersi llyfr
    enw llysenw rhif ffôn cyfeiriad nghyfeiriad stryd heol ffordd lôn fawr fach newydd hen
    mis dydd nos bore prynhawn wythnos blwyddyn mlwyddyn haf gaeaf gwanwyn hydref
""")

# First names and surnames of Wales, which the English lists behind Faker lack.
WELSH_FIRST_NAMES = _words("""
    Aled Alaw Aneurin Angharad Anwen Arwel Bethan Bleddyn Branwen Bryn Cadi Cai Caio Caradog Carys
    Catrin Cerys Ceri Cian Cledwyn Dafydd Deio Delyth Dewi Dilwyn Dyfan Dylan Efa Eifion Eirlys Eleri
    Elin Elis Elan Emrys Emyr Erin Ffion Ffraid Gareth Geraint Gethin Glesni Gruff Gruffudd Gruffydd
    Guto Gwenllian Gwern Gwion Gwyn Gwyneth Harri Hedd Huw Hywel Idris Ieuan Ifan Ioan Iolo Iwan Jac
    Llinos Lowri Llŷr Llyr Mabli Macsen Mali Manon Mared Math Meinir Megan Meirion Meleri Morgan
    Myfanwy Nel Nest Nia Non Nye Osian Owain Rhian Rhiannon Rhodri Rhun Rhys Seren Siân Sian Sioned
    Siôn Sion Steffan Sulwen Taliesin Tegan Tirion Tomos Twm Wil Wyn
""")
WELSH_SURNAMES = _words("""
    Jones Williams Davies Evans Thomas Roberts Hughes Lewis Morgan Griffiths Price Jenkins Owen Owens
    Rees Pritchard Llewellyn Llywelyn Parry Powell Bowen Vaughan Lloyd Howells Howell Pugh Prosser
    Probert Bevan Gwynne Phillips James Edwards Morris Rowlands Ellis Harris Watkins Meredith Humphreys
    Hopkins Jenkin Prys Prydderch Gruffydd Wynne Rhys Ap Cadwaladr Bowden Bennett Matthews
""")

# Short names children call each other by, which no list of given names has.
NICKNAMES = _words("""
    jonno jono gaz baz shaz macca tommo robbo davo stevo evs jay jj kez kaz bex becs liv soph
    millz jacko jacky jackyboy mo big-mo lil danno dazza bazza tazza smudge smwt
""")

# Words that mark the next word as a name: "my name is X", "a boy called X", "fy enw i yw X".
NAME_TRIGGERS = (
    "my name is", "my names", "my name's", "name is", "name's", "i am called", "i'm called",
    "im called", "call me", "calls me", "they call me", "known as", "aka", "nickname is",
    "nicknamed", "called", "named", "fy enw i yw", "fy enw yw", "fy enw i ydy", "enw fi yw",
    "enw fi ydy", "fy llysenw yw", "llysenw fi yw", "o'r enw", "galw fi'n", "galw fi yn",
    "this is", "from", "its", "it's", "i'm", "im", "i am", "dw i", "ydw i",
)  # fmt: skip
# After these only a word that is a known name is taken ("im sad" is not a name).
WEAK_TRIGGERS = frozenset(
    {"this is", "from", "its", "it's", "i'm", "im", "i am", "dw i", "ydw i", "called", "named"}
)

# Someone's relation to the writer: the name that follows may be an ordinary word too ("poppy").
RELATIONS = _words("""
    friend mate bestie bff brother sister cousin bro sis boyfriend girlfriend teacher tutor
    ffrind frawd brawd mrawd chwaer chwaer gefnder cyfnither athro athrawes
""")

# What children say people did: an ambiguous first name before one of these is a name ("mark said").
ACTIONS = _words("""
    told tells said says hit hits pushed pushes kicked kicks punched punches keeps kept took takes
    stole steals called calls bullies bullied shouted shouts swore swears threw throws laughed laughs
    sent sends slapped slaps tripped trips smacked spat spits stabbed threatened threatens
    is was
""")

# Social platforms: the word after one (past "is", ":", "name"...) is a handle.
PLATFORMS = _words("""
    insta instagram ig snap snapchat sc tiktok tt discord dc roblox fortnite xbox psn playstation
    gamertag twitter facebook fb youtube yt twitch steam epic threads bereal pinterest telegram kik
    whatsapp
""")
HANDLE_FILLERS = _words("""
    my is its it's name username user handle tag id account acc channel page : - = on me add
    follow at i am i'm im yw ydy fi ar ychwanega dilyna
""")

# Given names common among children in Wales and England now, which Faker's (mostly American,
# older) lists miss.
CHILDREN_NAMES = _words("""
    Oliver Jack Harry Jacob Charlie Thomas George Oscar James William Noah Alfie Joshua Muhammad
    Mohammed Mohammad Leo Archie Ethan Joseph Freddie Samuel Alexander Logan Daniel Isaac Max Mason
    Lucas Dylan Riley Jayden Tyler Harrison Theo Arthur Finley Lewis Kai Callum Reggie Teddy Tommy
    Ronnie Albie Louie Frankie Bobby Jenson Kian Aaron Adam Ali Ahmed Ayaan Bilal Hamza Ibrahim Omar
    Yusuf Zayn Aryan Arjun Ryan Liam Luke Matthew Ben Benjamin Sam Jake Kyle Connor Jamie Jordan
    Brandon Bradley Caleb Elliot Ellis Elijah Finn Harvey Hugo Jude Luca Nathan Owen Reuben Rory
    Sebastian Seth Stanley Toby Zachary Jackson Carter Jax Hunter Tobias Alfred Ezra Ollie Rocco
    Amelia Olivia Isla Emily Poppy Ava Isabella Jessica Lily Sophie Grace Sophia Mia Evie Ruby Ella
    Scarlett Isabelle Chloe Sienna Freya Phoebe Charlotte Daisy Alice Florence Eva Sofia Millie Lucy
    Evelyn Elsie Rosie Imogen Lola Matilda Elizabeth Layla Holly Lilly Molly Erin Ellie Maisie Maya
    Abigail Eliza Georgia Jasmine Esme Willow Bella Annabelle Ivy Amber Emilia Emma Summer Hannah
    Eleanor Harriet Rose Amelie Lexi Megan Gracie Zara Lacey Martha Anna Violet Darcey Maria Maryam
    Brooke Aisha Katie Leah Thea Darcie Hollie Amy Mollie Heidi Lottie Bethany Francesca Faith Harper
    Nancy Beatrice Isabel Darcy Lydia Sarah Sara Julia Victoria Zoe Robyn Aaliyah Fatima Khadija
    Amira Hafsa Zainab Ayesha Priya Anaya Aria Luna Margot Nova Orla Mabel Hallie Kayla Skye
""")

# Welsh words a list of names would otherwise catch, and Welsh days, months and subjects, which
# stay when capitalised.
WELSH_WORDS |= _words("""
    allan ddim mewn heddiw yfory ddoe nawr rŵan rwan yma yna fan lle pethau peth pobl merch bachgen
    bechgyn merched hoffi caru mynd dod gwneud gweld cael gallu eisiau isio moyn angen gwybod meddwl
    teimlo siarad dweud chwarae bwyta cysgu darllen dysgu helpu gwrando gofyn ateb rhoi cymryd
    prynu byw aros gadael trio wastad weithiau erioed efallai falle eitha rhy mwy llai gormod digon
    llawer lot ychydig bach mawr drwg gwael gwych ofnadwy hyfryd braf oer poeth twym gwlyb hir byr
    anodd hawdd diflas doniol caredig clên blin crac nerfus poeni saff tawel swnllyd ddydd pnawn
    garedig ddiogel drist hapus gas fawr fach dda ddrwg
""")
WELSH_CAPITALISED = _words("""
    Llun Mawrth Mercher Iau Gwener Sadwrn Sul Ionawr Chwefror Ebrill Mai Mehefin Gorffennaf Awst
    Medi Hydref Tachwedd Rhagfyr Nadolig Pasg Saesneg Mathemateg Gwyddoniaeth Hanes Daearyddiaeth
    Celf Cerddoriaeth Addysg Gorfforol Technoleg Bagloriaeth Blwyddyn World War
""")
