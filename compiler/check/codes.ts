/**
 * The catalogue of semantic diagnostics (RNN2xxx: names, shapes, arguments, structure).
 * Codes are stable: tests, docs and users' searches refer to them. Add, never renumber.
 */
export const CODES = {
  unknownName: "RNN2001",
  unknownFunction: "RNN2002",
  duplicateDefinition: "RNN2003",
  shapeMismatch: "RNN2004",
  unknownCell: "RNN2005",
  usedBeforeDefined: "RNN2006",
  cycle: "RNN2007",
  notAState: "RNN2008",
  stateNeverUpdated: "RNN2009",
  wrongArgumentType: "RNN2010",
  wrongArgumentCount: "RNN2011",
  unknownOption: "RNN2012",
  duplicateOption: "RNN2013",
  tupleMismatch: "RNN2014",
  missingState: "RNN2015",
  inputCount: "RNN2016",
  cannotInferSize: "RNN2017",
  badShape: "RNN2018",
  unknownField: "RNN2019",
  badInputType: "RNN2020",
  notATensor: "RNN2021",
  missingOutput: "RNN2022",
  missingOption: "RNN2023",
  misplaced: "RNN2024",
  badValue: "RNN2025",
  unknownSize: "RNN2026",
  trainingOnlyInput: "RNN2027",
  trainingInputInOutput: "RNN2028",
  tooLarge: "RNN2029",
} as const;

export type CodeName = keyof typeof CODES;
