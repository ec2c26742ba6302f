-- a rule file with a syntax error: `isorules test` must say so, not blame the model
rule { id = "BAD01", severity = "error", check = function( end }
