"""First and last names for the synthetic city: a mix that looks like Antwerp's pupils.

Each origin group has a list of boys' names, girls' names and surnames, ordered roughly from common
to less common (the generator draws with Zipf-like weights). The names are ordinary given names and
surnames; no row is a real person. No name contains a comma or a double quote, so the CSV writer never
needs to quote.
"""

from __future__ import annotations

# (label, share among pupils whose home language is Dutch, share among the others)
ORIGINS: list[tuple[str, float, float]] = [
    ("flemish", 0.84, 0.00),
    ("moroccan", 0.06, 0.37),
    ("turkish", 0.015, 0.08),
    ("east_european", 0.005, 0.13),
    ("african", 0.025, 0.10),
    ("middle_east", 0.005, 0.12),
    ("other_european", 0.05, 0.08),
    ("jewish", 0.00, 0.05),
    ("asian", 0.00, 0.07),
]

BOYS: dict[str, list[str]] = {
    "flemish": [
        "Lucas", "Louis", "Noah", "Arthur", "Liam", "Jules", "Victor", "Finn", "Adam", "Mathis",
        "Lars", "Wout", "Seppe", "Stan", "Milan", "Rune", "Warre", "Vince", "Robbe", "Kobe",
        "Thomas", "Jonas", "Ruben", "Senne", "Tuur", "Mats", "Lowie", "Gust", "Jef", "Cas",
        "Bram", "Pieter", "Jens", "Nand", "Daan", "Mauro", "Siebe", "Wannes", "Jarne", "Ferre",
    ],
    "moroccan": [
        "Mohamed", "Adam", "Ayoub", "Yassine", "Amine", "Ilyas", "Anas", "Bilal", "Hamza", "Imran",
        "Zakaria", "Younes", "Rayan", "Nassim", "Soufiane", "Ismail", "Karim", "Mehdi", "Othman", "Yahya",
        "Ibrahim", "Idris", "Marwan", "Sami", "Tarik",
    ],
    "turkish": [
        "Yusuf", "Emir", "Mustafa", "Kerem", "Mert", "Eymen", "Ömer", "Burak", "Emre", "Furkan",
        "Hakan", "Berkay", "Çağan", "Arda", "Selim",
    ],
    "east_european": [
        "Jakub", "Kacper", "Szymon", "Filip", "Mateusz", "Andrei", "Ivan", "Nikolay", "Georgi", "Luka",
        "Denys", "Maksym", "Artem", "Daniel", "Stefan", "Bogdan",
    ],
    "african": [
        "Samuel", "Emmanuel", "Junior", "Christian", "Kevin", "Prince", "Moïse", "Exaucé", "Jordan",
        "Divin", "Grâce", "Joël", "Cédric", "Kwame", "Abdoulaye", "Mamadou",
    ],
    "middle_east": [
        "Omar", "Ali", "Ahmad", "Mohammad", "Hassan", "Hussein", "Mustafa", "Abdullah", "Khaled",
        "Zaid", "Rahim", "Farid", "Jawad", "Nabil", "Sayed", "Wahid",
    ],
    "other_european": [
        "Daniel", "Diego", "Tiago", "João", "Pedro", "Marco", "Luca", "Alessandro", "Sem", "Jesse",
        "Tim", "Pablo", "Hugo", "Mateo", "Leon",
    ],
    "jewish": [
        "Moshe", "Yosef", "Chaim", "Shlomo", "Avraham", "Yaakov", "Mendel", "Yitzchak", "Dovid",
        "Aron", "Shmuel", "Baruch",
    ],
    "asian": [
        "Arjun", "Aarav", "Rohan", "Minh", "Anh", "Wei", "Hao", "Ravi", "Tenzin", "Ahmed", "Sanjay",
        "Kiran",
    ],
}

GIRLS: dict[str, list[str]] = {
    "flemish": [
        "Olivia", "Louise", "Marie", "Emma", "Mila", "Nora", "Juliette", "Lena", "Fien", "Lotte",
        "Elena", "Ella", "Lina", "Noor", "Febe", "Hanne", "Lore", "Jana", "Amber", "Julie",
        "Lien", "Ine", "Saar", "Nina", "Elise", "Lisa", "Fleur", "Roos", "Kato", "Marthe",
        "Ilse", "Sofie", "Tess", "Zoë", "Anna", "Charlotte", "Leonie", "Axelle", "Nele", "Wiebke",
    ],
    "moroccan": [
        "Aya", "Nour", "Salma", "Malak", "Ines", "Hiba", "Yasmina", "Sara", "Imane", "Fatima",
        "Kawtar", "Soumaya", "Amira", "Dounia", "Hajar", "Ikram", "Layla", "Meryem", "Najat", "Rania",
        "Souad", "Wiam", "Zineb", "Safae", "Khadija",
    ],
    "turkish": [
        "Elif", "Zeynep", "Ecrin", "Defne", "Meryem", "Azra", "Esma", "Büşra", "Ayşe", "Nisa",
        "Hira", "Kübra", "Selin", "Sümeyye", "Zehra",
    ],
    "east_european": [
        "Zuzanna", "Julia", "Maja", "Natalia", "Oliwia", "Anastasia", "Sofia", "Daria", "Viktoria",
        "Yana", "Polina", "Alexandra", "Maria", "Iva", "Elena", "Kateryna",
    ],
    "african": [
        "Grace", "Esther", "Merveille", "Divine", "Gloria", "Ruth", "Blessing", "Précieuse", "Naomi",
        "Sarah", "Aminata", "Fatoumata", "Ama", "Chloé", "Océane", "Joyce",
    ],
    "middle_east": [
        "Maryam", "Fatemeh", "Zahra", "Sana", "Hala", "Lana", "Rahaf", "Shahad", "Nadia", "Farah",
        "Yasmin", "Mariam", "Heba", "Aisha", "Sahar", "Roya",
    ],
    "other_european": [
        "Sofia", "Beatriz", "Inês", "Giulia", "Chiara", "Lucía", "Carmen", "Sanne", "Fenna", "Isa",
        "Eva", "Alba", "Martina", "Laura", "Clara",
    ],
    "jewish": [
        "Chaya", "Rivka", "Sarah", "Leah", "Rachel", "Esther", "Miriam", "Devorah", "Malka", "Shira",
        "Bracha", "Faiga",
    ],
    "asian": [
        "Ananya", "Priya", "Linh", "Mai", "Mei", "Xin", "Aisha", "Pema", "Diya", "Thao", "Lan", "Riya",
    ],
}

SURNAMES: dict[str, list[str]] = {
    "flemish": [
        "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
        "De Smet", "Dubois", "Hermans", "Aerts", "Van den Broeck", "Michiels", "Vermeulen", "Pauwels",
        "Van Dyck", "Verstraeten", "Smets", "De Wit", "Hendrickx", "Cools", "Vandenberghe", "Van Damme",
        "Martens", "Lambrechts", "Stevens", "Segers", "Bogaerts", "Van Hoof", "Verhoeven", "Leysen",
        "Geerts", "Huybrechts", "De Cock", "Van Looy", "Sels", "Schoofs", "Verbruggen", "Van Gils",
        "De Backer", "Luyten", "Van Aken", "Nuyts", "D'Hondt", "Verschueren", "Van de Velde", "Thys",
        "Heylen",
    ],
    "moroccan": [
        "El Amrani", "Bouzidi", "El Idrissi", "Benali", "Ait Ouali", "El Ouardi", "Amrani", "Azzouzi",
        "Boukhari", "Chakir", "El Haddouchi", "El Khattabi", "Bennani", "Lahlou", "Ouahabi", "Tahiri",
        "Ziani", "Boulaich", "El Moussaoui", "Harrak", "Mokhtari", "Saidi", "Bakkali", "El Bouzidi",
        "Achahbar", "Aouragh", "Belhaj", "Chaouki", "Ezzaher", "Kaddouri",
    ],
    "turkish": [
        "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Arslan", "Doğan",
        "Kılıç", "Aslan", "Çetin", "Koç", "Kurt", "Özdemir", "Polat", "Erdoğan",
    ],
    "east_european": [
        "Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kamiński", "Lewandowska", "Popescu", "Ionescu",
        "Dimitrov", "Ivanova", "Georgiev", "Petrov", "Shevchenko", "Kovalenko", "Bondarenko", "Horvat",
        "Kovács", "Stoica", "Marinov", "Zielińska",
    ],
    "african": [
        "Mukendi", "Kabongo", "Ilunga", "Tshibangu", "Mbuyi", "Kalonji", "Lukusa", "Ngoy", "Mensah",
        "Owusu", "Diallo", "Bah", "Traoré", "Okafor", "Adeyemi", "Nkulu", "Mutombo", "Asante",
    ],
    "middle_east": [
        "Ahmadi", "Hussaini", "Rahimi", "Mohammadi", "Karimi", "Haidari", "Al Hassan", "Al Khatib",
        "Haddad", "Nasser", "Saleh", "Mansour", "Sultani", "Noori", "Rezai", "Hamdan",
    ],
    "other_european": [
        "Silva", "Santos", "Ferreira", "Rossi", "Russo", "García", "Fernández", "Martínez", "De Jong",
        "Bakker", "Visser", "Smit", "Müller", "Schmidt", "Costa", "Romano",
    ],
    "jewish": [
        "Friedman", "Rosenberg", "Klein", "Weiss", "Schwartz", "Grunfeld", "Lieberman", "Stern",
        "Halberstam", "Teitelbaum", "Rubin", "Engel",
    ],
    "asian": [
        "Nguyen", "Tran", "Le", "Pham", "Singh", "Kaur", "Sharma", "Patel", "Wang", "Li", "Zhang",
        "Chen", "Khan", "Hossain", "Tamang", "Gurung",
    ],
}
