/**
 * The grammar of `.rnn`, as a chevrotain CstParser. It only recognises; dsl/cst-to-ast.ts
 * builds the tree and dsl/parse.ts turns chevrotain's errors into positioned diagnostics.
 *
 *   program    := (cell | model)*
 *   cell       := 'cell' NAME '(' [cellParam (',' cellParam)*] ')' block
 *   cellParam  := NAME ':' NAME | NAME '=' ['-'] NUMBER
 *   model      := 'model' NAME block
 *   block      := '{' statement* '}'
 *   statement  := 'input' inputDecl (',' inputDecl)*
 *               | 'state' NAME ':' shape (',' NAME ':' shape)*
 *               | 'param' NAME ':' shape ['=' NAME] (',' ...)*
 *               | 'output' NAME '=' expr
 *               | 'loss' expr
 *               | target (',' target)* '=' expr          target := NAME | NAME'
 *   inputDecl  := NAME [':' [NAME] shape] ['for' 'training']
 *   shape      := '[' [expr (',' expr)*] ']'
 *   expr       := term (('+' | '-') term)*
 *   term       := unary (('*' | '/') unary)*
 *   unary      := '-' unary | postfix
 *   postfix    := primary ('.' NAME)*
 *   primary    := NUMBER | 'true' | 'false' | NAME' | NAME ['(' [arg (',' arg)*] ')'] | '(' expr ')'
 *   arg        := (NAME | keyword) ':' expr | expr
 *
 * Statements need no separator: an expression ends where the next token cannot continue it.
 */
import { CstParser, type CstNode } from "chevrotain";
import { messageProvider } from "./syntax-messages.ts";
import * as t from "./tokens.ts";

class RnnParser extends CstParser {
  constructor() {
    super(t.allTokens, {
      recoveryEnabled: false,
      maxLookahead: 3,
      errorMessageProvider: messageProvider,
    });
    this.performSelfAnalysis();
  }

  program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.cellDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
      ]);
    });
  });

  cellDecl = this.RULE("cellDecl", () => {
    this.CONSUME(t.Cell);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LParen);
    this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.cellParam) });
    this.CONSUME(t.RParen);
    this.SUBRULE(this.block);
  });

  cellParam = this.RULE("cellParam", () => {
    this.CONSUME(t.Identifier);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Colon);
          this.CONSUME2(t.Identifier, { LABEL: "symbol" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Equals);
          this.OPTION(() => this.CONSUME(t.Minus));
          this.CONSUME(t.NumberLiteral);
        },
      },
    ]);
  });

  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(t.Model);
    this.CONSUME(t.Identifier);
    this.SUBRULE(this.block);
  });

  block = this.RULE("block", () => {
    this.CONSUME(t.LCurly);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(t.RCurly);
  });

  statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.inputStmt) },
      { ALT: () => this.SUBRULE(this.stateStmt) },
      { ALT: () => this.SUBRULE(this.paramStmt) },
      { ALT: () => this.SUBRULE(this.outputStmt) },
      { ALT: () => this.SUBRULE(this.lossStmt) },
      { ALT: () => this.SUBRULE(this.assignStmt) },
    ]);
  });

  inputStmt = this.RULE("inputStmt", () => {
    this.CONSUME(t.Input);
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.inputDecl) });
  });

  inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.Colon);
      this.OPTION2(() => this.CONSUME2(t.Identifier, { LABEL: "dtype" }));
      this.SUBRULE(this.shape);
    });
    this.OPTION3(() => {
      this.CONSUME(t.For);
      this.CONSUME(t.Training);
    });
  });

  stateStmt = this.RULE("stateStmt", () => {
    this.CONSUME(t.State);
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.stateDecl) });
  });

  stateDecl = this.RULE("stateDecl", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.shape);
  });

  paramStmt = this.RULE("paramStmt", () => {
    this.CONSUME(t.Param);
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.paramDecl) });
  });

  paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.shape);
    this.OPTION(() => {
      this.CONSUME(t.Equals);
      this.CONSUME2(t.Identifier, { LABEL: "init" });
    });
  });

  outputStmt = this.RULE("outputStmt", () => {
    this.CONSUME(t.Output);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expr);
  });

  lossStmt = this.RULE("lossStmt", () => {
    this.CONSUME(t.Loss);
    this.SUBRULE(this.expr);
  });

  assignStmt = this.RULE("assignStmt", () => {
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.target) });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expr);
  });

  target = this.RULE("target", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.Identifier) },
      { ALT: () => this.CONSUME(t.PrimedIdentifier) },
    ]);
  });

  shape = this.RULE("shape", () => {
    this.CONSUME(t.LBracket);
    this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.expr) });
    this.CONSUME(t.RBracket);
  });

  expr = this.RULE("expr", () => {
    this.SUBRULE(this.term, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(t.Plus, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.Minus, { LABEL: "operators" }) },
      ]);
      this.SUBRULE2(this.term, { LABEL: "operands" });
    });
  });

  term = this.RULE("term", () => {
    this.SUBRULE(this.unary, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(t.Star, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.Slash, { LABEL: "operators" }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: "operands" });
    });
  });

  unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(t.Dot);
      this.CONSUME(t.Identifier, { LABEL: "fields" });
    });
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.NumberLiteral) },
      { ALT: () => this.CONSUME(t.True) },
      { ALT: () => this.CONSUME(t.False) },
      { ALT: () => this.CONSUME(t.PrimedIdentifier) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      {
        ALT: () => {
          this.CONSUME(t.LParen);
          this.SUBRULE(this.expr);
          this.CONSUME(t.RParen);
        },
      },
    ]);
  });

  nameOrCall = this.RULE("nameOrCall", () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.LParen);
      this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.arg) });
      this.CONSUME(t.RParen);
    });
  });

  arg = this.RULE("arg", () => {
    // Option names may be keywords too: `cell: lstm(hidden: 64)`, `output: ...`.
    this.OPTION(() => {
      this.OR(
        [t.Identifier, ...t.keywordTokens].map((type) => ({
          ALT: () => this.CONSUME(type, { LABEL: "argName" }),
        })),
      );
      this.CONSUME(t.Colon);
    });
    this.SUBRULE(this.expr);
  });
}

let shared: RnnParser | undefined;

/** The parser is built once (grammar analysis is costly) and reused; it is not re-entrant. */
export function rnnParser(): RnnParser {
  shared ??= new RnnParser();
  return shared;
}

export type { CstNode, RnnParser };
