"""Write each writer's assignment: a list of document specs spread over registers and topics."""

import json
import random
from pathlib import Path

REGISTERS = """wire state_media official_statement briefing op_ed editorial blog tabloid broadcast
talk_show parliament court_report ngo_report investigation social_post press_release
media_watch feature local_news sport science business interview live_blog letters review""".split()
# Registers where moves are dense get drawn more often, so the batch's base rate lands ~12%.
WEIGHT = {
    "sport": 0.7,
    "science": 0.7,
    "review": 0.6,
    "business": 0.9,
    "local_news": 1.0,
    "letters": 0.6,
    "live_blog": 0.7,
    "feature": 0.9,
}
TOPICS = """border shelling and civilian casualties|cross-border drone strikes|refugees and displaced villagers|
national election campaign|municipal election dispute|corruption in road contracts|police handling of a protest|
prison conditions|religion: a church property dispute|religion: a bishop and a scandal in the diocese|
religion: a pilgrimage or religious festival|culture: a theatre production and censorship|culture: a film festival|
culture: museum funding and a disputed exhibition|sport: football club finances|sport: a doping case|
sport: a marathon or cycling race|sport: ice hockey league|science: climate research station|science: a vaccine trial|
science: space launch programme|science: archaeology dig|business: bank collapse|business: mass lay-offs at a plant|
business: airline and flight cancellations|business: retail prices and inflation|history: a war memorial and memory politics|
history: archive opening on a past famine or purge|local affairs: school closures|local affairs: potholes and city budget|
local affairs: a new tram line|health: hospital overcrowding|health: measles outbreak|environment: river pollution from a mine|
environment: oil spill on the coast|environment: wildfire season|energy: blackouts after a power station failure|
energy: gas price dispute with a neighbour|transport: train derailment|housing: apartment block collapse|
agriculture: drought and harvest|agriculture: grain export row|labour: dockworkers' strike|education: university reform|
technology: data breach at a state service|media freedom: journalists detained|judiciary reform|
military procurement scandal|mining accident|chemical plant leak|earthquake relief|food safety: contaminated baby formula|
pharmaceuticals: drug shortages|sanctions and trade|diplomatic expulsion|cyberattack on a ministry|migration and labour migrants|
terrorism trial|fisheries dispute|tourism season|welfare and pensions|heating outages in winter|chess or e-sports tournament|
music festival and noise complaints|military conscription|nuclear plant safety|flood response|state TV instructions to blame a neighbour|
leaked guidelines telling media to minimise casualties|a nominee facing misconduct allegations|a mayor accused of nepotism|
a company accused of hiding a product defect|an NGO report on torture in detention""".replace(
    "\n", ""
).split("|")
ANGLES = [
    "a named office holder or nominee denies an allegation (vary the construction: headline, nominal 'her denial of', relative clause 'which he denies', 'continues to deny', through a spokesperson or lawyer)",
    "someone who is not official denies something (a witness, a neighbour, a private person or their lawyer), or the evidence or the author contradicts a claim: label-free",
    "court or procedural language full of trigger words without the move (bail denied, appeal dismissed on procedure, asylum denied, 'the accused' in procedure), alongside charges or convictions reported as such",
    "opinion voice: blame by sarcasm, rhetorical questions and insinuation, with most sentences arguing without a move",
    "a transcript or social-media thread: moves and non-moves in quoted speech, interruptions, long turns",
    "long sentences that carry a move in one clause among neutral clauses (attribution, dates, background)",
    "euphemistic downplaying quoted or reported in quotation marks by a critical outlet ('what the ministry calls a \"temporary relocation\"')",
    "reporting about a propaganda campaign or instructions given to media (to blame, to minimise, to deny), with the instructions quoted or paraphrased",
    "no framing move at all, or one: an ordinary story full of neutral uses of cue words (only, just, small, minor, limited, routine, responsible, fault, blame, rejected, dismissed, denied, false, lies)",
    "an institution answers a report without denying it (announces a review, declines to comment, gives figures), next to plain small numbers stated without minimising",
]


def main(lang, writers, docs_per, seed, prefix):
    rng = random.Random(seed)
    regs = []
    while len(regs) < writers * docs_per:
        for r in REGISTERS:
            if rng.random() < WEIGHT.get(r, 1.0):
                regs.append(r)
    rng.shuffle(regs)
    topics = TOPICS[:]
    out = Path(f"/work/corpus/assign/{lang}")
    out.mkdir(parents=True, exist_ok=True)
    for w in range(writers):
        batch = f"{prefix}{w + 1:02d}"
        specs = []
        for k in range(docs_per):
            reg = regs[w * docs_per + k]
            topic = rng.choice(topics)
            specs.append(
                {
                    "doc": f"{batch}-{k + 1:03d}",
                    "register": reg,
                    "topic": topic,
                    "angle": ANGLES[(w * 3 + k) % len(ANGLES)]
                    if k < len(ANGLES) + 2
                    else "your choice",
                }
            )
        (out / f"{batch}.json").write_text(json.dumps(specs, indent=1, ensure_ascii=False))
    print(len(set(topics)), "topics")


if __name__ == "__main__":
    main("en", 19, 22, 7, "en-w")
    main("ru", 14, 19, 11, "ru-w")
