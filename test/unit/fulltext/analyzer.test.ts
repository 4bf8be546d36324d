import { describe, expect, it } from "vitest";
import { createAnalyzer } from "../../../src/core/index/fulltext/analyzer.ts";
import { foldToAscii } from "../../../src/core/index/fulltext/ascii-folding.ts";
import {
  DEFAULT_FULL_TEXT_CONFIG, FULL_TEXT_LANGUAGES, resolveFullTextConfig, type FullTextConfigInput,
} from "../../../src/core/index/fulltext/full-text-config.ts";
import { InvalidArgumentError } from "../../../src/core/errors.ts";

const terms = (config: FullTextConfigInput, text: string) => createAnalyzer(resolveFullTextConfig(config)).terms(text);

describe("full-text config", () => {
  it("defaults follow turbopuffer", () => {
    expect(resolveFullTextConfig(true)).toEqual({
      language: "english", stemming: false, remove_stopwords: false, case_sensitive: false, ascii_folding: false,
      max_token_length: 39, k1: 1.2, b: 0.75, k3: 8,
    });
    expect(resolveFullTextConfig({ k1: 0.9 })).toEqual({ ...DEFAULT_FULL_TEXT_CONFIG, k1: 0.9 });
  });

  it("rejects bad options with InvalidArgumentError", () => {
    for (const bad of [{ language: "klingon" }, { b: 1.5 }, { k1: 0 }, { max_token_length: 0 }, { max_token_length: 255 },
      { stemming: "yes" }, { unknown: 1 }] as unknown as FullTextConfigInput[]) {
      expect(() => resolveFullTextConfig(bad)).toThrow(InvalidArgumentError);
    }
  });

  it("supports the 18 turbopuffer languages plus chinese, japanese and thai", () => {
    expect(FULL_TEXT_LANGUAGES).toHaveLength(21);
    for (const language of FULL_TEXT_LANGUAGES) expect(() => terms({ language, stemming: true, remove_stopwords: true }, "x")).not.toThrow();
  });
});

describe("tokenization and case", () => {
  it("splits on non letters/digits and lowercases by default", () => {
    expect(terms({}, "Hello, World! 42-fold e-mail_x")).toEqual(["hello", "world", "42", "fold", "e", "mail", "x"]);
  });

  it("keeps case when case_sensitive", () => {
    expect(terms({ case_sensitive: true }, "Hello World")).toEqual(["Hello", "World"]);
  });

  it("drops tokens longer than max_token_length bytes (not truncates)", () => {
    expect(terms({ max_token_length: 5 }, "short toolong ok")).toEqual(["short", "ok"]);
    // "héllo" is 6 UTF-8 bytes.
    expect(terms({ max_token_length: 5 }, "héllo hello")).toEqual(["hello"]);
  });

  it("emits each ideograph alone outside chinese/japanese", () => {
    expect(terms({}, "東京abc")).toEqual(["東", "京", "abc"]);
  });

  it("turkish lowercases dotted and dotless i by locale", () => {
    expect(terms({ language: "turkish" }, "İSTANBUL IŞIK")).toEqual(["istanbul", "ışık"]);
  });
});

describe("stopwords and stemming per language", () => {
  const samples: Array<[string, string, string[]]> = [
    ["english", "The runners were running quickly", ["runner", "run", "quickli"]],
    ["french", "Les chevaux mangeaient continuellement", ["cheval", "mang", "continuel"]],
    ["german", "Die Häuser der Katzen", ["haus", "katz"]],
    ["spanish", "Los trabajadores corriendo", ["trabaj", "corr"]],
    ["italian", "I ragazzi correvano velocemente", ["ragazz", "corr", "veloc"]],
    ["portuguese", "Os trabalhadores nacionais", ["trabalh", "nacion"]],
    ["dutch", "De lopende huizen", ["lopend", "huiz"]],
    ["danish", "Bøgerne og løbende", ["bøg", "løb"]],
    ["norwegian", "Bøkene og løpende", ["bøk", "løp"]],
    ["swedish", "Böckerna och springande", ["böck", "spring"]],
    ["finnish", "Talossa ja taloissa", ["talo", "talo"]],
    ["hungarian", "A házakban futottak", ["ház", "futott"]],
    ["romanian", "Frumoaselor case", ["frumoas", "cas"]],
    ["russian", "Красивые книгами и", ["красив", "книг"]],
    ["greek", "ΚΑΛΗΜΕΡΑ ΑΝΘΡΩΠΟΙ αυτές", ["καλημερ", "ανθρωπ"]],
    ["turkish", "Kitaplardan ve koşuyorlar", ["kitap", "koşuyor"]],
    ["arabic", "المكتبات والكاتبون", ["مكتب", "والكاتب"]],
    ["tamil", "புத்தகங்கள் ஒரு", ["புத்தகம்"]],
  ];
  for (const [language, text, expected] of samples) {
    it(`${language}: removes stopwords and stems`, () => {
      expect(terms({ language, stemming: true, remove_stopwords: true }, text)).toEqual(expected);
    });
  }

  it("keeps stopwords and does not stem by default", () => {
    expect(terms({}, "The runners were running")).toEqual(["the", "runners", "were", "running"]);
  });

  it("compares stopwords case-insensitively even when case_sensitive", () => {
    expect(terms({ case_sensitive: true, remove_stopwords: true }, "The Cat")).toEqual(["Cat"]);
  });
});

describe("ascii folding", () => {
  it("folds latin diacritics and special letters, leaves other scripts", () => {
    expect(foldToAscii("crème brûlée")).toBe("creme brulee");
    expect(foldToAscii("straße øre Łódź æsir")).toBe("strasse ore Lodz aesir");
    expect(foldToAscii("καλημέρα москва")).toBe("καλημέρα москва");
  });

  it("applies after stemming and stopword removal", () => {
    expect(terms({ language: "french", ascii_folding: true, remove_stopwords: true }, "à l'école élève")).toEqual(["ecole", "eleve"]);
    expect(terms({ language: "spanish", ascii_folding: false }, "canción")).toEqual(["canción"]);
  });
});

describe("CJK and Thai segmentation (Intl.Segmenter)", () => {
  it("segments chinese into words", () => {
    const t = terms({ language: "chinese" }, "我们在北京大学学习自然语言处理。");
    expect(t).toContain("北京");
    expect(t).toContain("学习");
    expect(t).not.toContain("。");
  });

  it("segments japanese into words", () => {
    const t = terms({ language: "japanese" }, "東京タワーは日本の有名な観光地です");
    expect(t).toContain("日本");
    expect(t.join("")).toBe("東京タワーは日本の有名な観光地です");
  });

  it("segments thai into words", () => {
    const t = terms({ language: "thai" }, "ภาษาไทยเป็นภาษาที่สวยงาม");
    expect(t.length).toBeGreaterThan(3);
    expect(t.join("")).toBe("ภาษาไทยเป็นภาษาที่สวยงาม");
  });

  it("feeds long text in chunks without losing words", () => {
    const sentence = "我们在北京大学学习自然语言处理。";
    const long = sentence.repeat(400); // ~6,400 chars, several segmenter chunks
    expect(terms({ language: "chinese" }, long).filter((w) => w === "北京")).toHaveLength(400);
  });
});

describe("query terms", () => {
  it("dedupes terms and weighs repeats with k3 saturation", () => {
    const q = createAnalyzer(resolveFullTextConfig({})).queryTerms("cat dog cat cat");
    expect(q.map((t) => [t.term, t.count])).toEqual([["cat", 3], ["dog", 1]]);
    expect(q[0].weight).toBeCloseTo((3 * 9) / 11, 12);
    expect(q[1].weight).toBe(1);
  });

  it("analyzes queries exactly like documents", () => {
    const a = createAnalyzer(resolveFullTextConfig({ stemming: true, remove_stopwords: true }));
    expect(a.queryTerms("The RUNNING runners").map((t) => t.term)).toEqual(["run", "runner"]);
  });
});
