/**
 * The language table: for each supported language its stemmer, its stopword list, how words are found
 * (Unicode regex or Intl.Segmenter) and which locale lowercases it. It does not run the pipeline (`analyzer.ts`).
 *
 * Stemmers and stopwords come from @orama/stemmers and @orama/stopwords (Snowball-derived, plain ESM, no
 * eval / new Function, so they load in workerd). They cover all 18 turbopuffer/Tantivy languages; Chinese and
 * Japanese get stopword lists but no stemmer (there is nothing to stem), Thai gets segmentation only.
 */

import { stemmer as arabicStem } from "@orama/stemmers/arabic";
import { stemmer as danishStem } from "@orama/stemmers/danish";
import { stemmer as dutchStem } from "@orama/stemmers/dutch";
import { stemmer as englishStem } from "@orama/stemmers/english";
import { stemmer as finnishStem } from "@orama/stemmers/finnish";
import { stemmer as frenchStem } from "@orama/stemmers/french";
import { stemmer as germanStem } from "@orama/stemmers/german";
import { stemmer as greekStem } from "@orama/stemmers/greek";
import { stemmer as hungarianStem } from "@orama/stemmers/hungarian";
import { stemmer as italianStem } from "@orama/stemmers/italian";
import { stemmer as norwegianStem } from "@orama/stemmers/norwegian";
import { stemmer as portugueseStem } from "@orama/stemmers/portuguese";
import { stemmer as romanianStem } from "@orama/stemmers/romanian";
import { stemmer as russianStem } from "@orama/stemmers/russian";
import { stemmer as spanishStem } from "@orama/stemmers/spanish";
import { stemmer as swedishStem } from "@orama/stemmers/swedish";
import { stemmer as tamilStem } from "@orama/stemmers/tamil";
import { stemmer as turkishStem } from "@orama/stemmers/turkish";
import { stopwords as arabicStop } from "@orama/stopwords/arabic";
import { stopwords as danishStop } from "@orama/stopwords/danish";
import { stopwords as dutchStop } from "@orama/stopwords/dutch";
import { stopwords as englishStop } from "@orama/stopwords/english";
import { stopwords as finnishStop } from "@orama/stopwords/finnish";
import { stopwords as frenchStop } from "@orama/stopwords/french";
import { stopwords as germanStop } from "@orama/stopwords/german";
import { stopwords as greekStop } from "@orama/stopwords/greek";
import { stopwords as hungarianStop } from "@orama/stopwords/hungarian";
import { stopwords as italianStop } from "@orama/stopwords/italian";
import { stopwords as japaneseStop } from "@orama/stopwords/japanese";
import { stopwords as mandarinStop } from "@orama/stopwords/mandarin";
import { stopwords as norwegianStop } from "@orama/stopwords/norwegian";
import { stopwords as portugueseStop } from "@orama/stopwords/portuguese";
import { stopwords as romanianStop } from "@orama/stopwords/romanian";
import { stopwords as russianStop } from "@orama/stopwords/russian";
import { stopwords as spanishStop } from "@orama/stopwords/spanish";
import { stopwords as swedishStop } from "@orama/stopwords/swedish";
import { stopwords as tamilStop } from "@orama/stopwords/tamil";
import { stopwords as turkishStop } from "@orama/stopwords/turkish";
import type { FullTextLanguage } from "./full-text-config.ts";

export interface LanguageSpec {
  /** Snowball-style stemmer over a lowercase word; undefined where the language has none. */
  stem?: (word: string) => string;
  /** Raw stopword list (lowercase); the analyzer builds the Set lazily. */
  stopwords: readonly string[];
  /** "word": Unicode letter/digit runs. "segmenter": Intl.Segmenter word boundaries (no spaces between words). */
  segmentation: "word" | "segmenter";
  /** BCP 47 locale for toLocaleLowerCase and Intl.Segmenter. */
  locale: string;
}

export const LANGUAGES: Readonly<Record<FullTextLanguage, LanguageSpec>> = {
  arabic: { stem: arabicStem, stopwords: arabicStop, segmentation: "word", locale: "ar" },
  danish: { stem: danishStem, stopwords: danishStop, segmentation: "word", locale: "da" },
  dutch: { stem: dutchStem, stopwords: dutchStop, segmentation: "word", locale: "nl" },
  english: { stem: englishStem, stopwords: englishStop, segmentation: "word", locale: "en" },
  finnish: { stem: finnishStem, stopwords: finnishStop, segmentation: "word", locale: "fi" },
  french: { stem: frenchStem, stopwords: frenchStop, segmentation: "word", locale: "fr" },
  german: { stem: germanStem, stopwords: germanStop, segmentation: "word", locale: "de" },
  greek: { stem: greekStem, stopwords: greekStop, segmentation: "word", locale: "el" },
  hungarian: { stem: hungarianStem, stopwords: hungarianStop, segmentation: "word", locale: "hu" },
  italian: { stem: italianStem, stopwords: italianStop, segmentation: "word", locale: "it" },
  norwegian: { stem: norwegianStem, stopwords: norwegianStop, segmentation: "word", locale: "nb" },
  portuguese: { stem: portugueseStem, stopwords: portugueseStop, segmentation: "word", locale: "pt" },
  romanian: { stem: romanianStem, stopwords: romanianStop, segmentation: "word", locale: "ro" },
  russian: { stem: russianStem, stopwords: russianStop, segmentation: "word", locale: "ru" },
  spanish: { stem: spanishStem, stopwords: spanishStop, segmentation: "word", locale: "es" },
  swedish: { stem: swedishStem, stopwords: swedishStop, segmentation: "word", locale: "sv" },
  tamil: { stem: tamilStem, stopwords: tamilStop, segmentation: "word", locale: "ta" },
  turkish: { stem: turkishStem, stopwords: turkishStop, segmentation: "word", locale: "tr" },
  chinese: { stopwords: mandarinStop, segmentation: "segmenter", locale: "zh" },
  japanese: { stopwords: japaneseStop, segmentation: "segmenter", locale: "ja" },
  thai: { stopwords: [], segmentation: "segmenter", locale: "th" },
};
