package prompt

// Families group rules; a family's findings count once towards the
// combined confidence (see combine in prompt.go).
const (
	famOverride     = "instruction_override"
	famRoleplay     = "roleplay_jailbreak"
	famUnrestricted = "unrestricted_persona"
	famPriming      = "response_priming"
	famDisclaimer   = "harm_disclaimer"
	famDelimiter    = "fake_delimiter"
	famExfil        = "prompt_exfiltration"
	famInvisible    = "invisible_chars"
	famObfuscation  = "obfuscation"
	famEncoded      = "encoded_instruction"
	famSuffix       = "adversarial_suffix"
	famLength       = "anomalous_length"
	famHarm         = "harmful_objective"
	famPersona      = "persona_assignment"
	famIndirect     = "assistant_directed_instruction"
)

// rule is one heuristic. Phrases match the normalised words; substrings
// match the lower-cased raw text (for delimiters and scripts without
// spaces).
type rule struct {
	family  string
	weight  float64
	what    string
	phrases []string
	subs    []string
	// indirect rules apply to third-party text only (tool results,
	// documents): there, words addressed to the assistant are an
	// injection; from the user they are an ordinary request.
	indirect bool
}

// Word lists shared by several phrases.
const (
	wOverrideVerb = "ignore|ignoring|disregard|disregarding|forget|forgetting|bypass|override|overlook|neglect|abandon|discard|circumvent|omit"
	wPriorQual    = "previous|prior|above|earlier|preceding|former|initial|original|all|any|every|your|system|developer|prevoius|previos|aforementioned|existing|foregoing"
	wInstrNoun    = "instruction*|prompt|prompts|rule|rules|direction|directions|guideline|guidelines|guidance|command|commands|context|programming|restriction|restrictions|constraint|constraints|directive|directives|order|orders|policy|policies|safeguard|safeguards|filter|filters|limitation|limitations|task|tasks|setting|settings|training"
	wAfterQual    = "above|before|earlier|previously|given|provided|so_far|precedentes|precedente|anterieures|anteriores|previas|previos|precedenti|anteriori|sopra|oben|vorher|выше|ранее"
	wAIWord       = "ai|chatbot|bot|assistant|model|language_model|llm|version|response|responses|answers|mode|persona|character|entity|system|gpt|chatgpt|alter_ego"
)

// promptRules is the immutable rule table of the prompt detector.
var promptRules = []rule{
	// Instruction override, English.
	{family: famOverride, weight: 0.9, what: "instruction-override phrase", phrases: []string{
		wOverrideVerb + " ~2 " + wPriorQual + " ~3 " + wInstrNoun,
		wOverrideVerb + " ~3 " + wInstrNoun + " ~2 " + wAfterQual,
		"do_not|dont|never|stop ~1 follow|following|obey|obeying ~3 " + wPriorQual + " ~3 " + wInstrNoun,
		"forget|disregard|ignore everything|all ~2 above|before|previously|prior|so_far|you_were_told|you_have_been_told|i_said",
		"you|u are|r no_longer ~3 bound|restricted|limited|required|an_ai|chatgpt|claude|an_assistant|a_language_model|obligated",
		"not|no_longer|never bound|restricted|limited|constrained ~1 by ~4 rules|restrictions|guidelines|policies|policy|openai|anthropic|ethics|laws|morals|filters|programming",
	}},
	{family: famOverride, weight: 0.6, what: "instruction-override phrase", phrases: []string{
		"ignore|disregard|forget the|these|those|my ~1 instructions|instruction|prompt|rules|guidelines|directions|programming|directives",
		"ignore|disregard|forget the|that|this above|previous|prior",
		"your new|real|true|actual ~1 task|tasks|instructions|instruction|role|goal|objective|purpose|directive|mission ~1 is|are|will",
		"new|updated|revised|real instructions|instruction|directive|directives|rules follow|apply|below|now|are",
		"override|bypass|disable|deactivate|turn_off|remove ~3 safety|content|security|ethical|moderation ~1 filter|filters|protocol|protocols|restriction|restrictions|guideline|guidelines|policy|policies|measure|measures|mechanism|mechanisms|setting|settings|guardrail|guardrails",
		"system|admin|administrator|root|sudo|developer override|overide|override_mode|command|access_granted",
		"from_now_on ~3 you|your ~2 will|are|must|shall|only|answer|respond|reply|act|role|behave",
	}},
	// Instruction override, other languages (after accent folding).
	{family: famOverride, weight: 0.9, what: "instruction-override phrase (non-English)", phrases: []string{
		"ignoriere|ignorieren|ignoriert|vergiss|vergessen|vergesst|missachte|missachten ~3 vorherigen|vorherige|bisherigen|bisherige|obigen|obige|alle|vorigen|vorangegangenen|deine|ursprunglichen|fruheren ~2 anweisungen|anweisung|instruktionen|regeln|befehle|vorgaben|anordnungen|richtlinien",
		"ignore|ignorez|ignorer|ignores|oublie|oubliez|oublier|neglige|negligez ~3 instructions|instruction|consignes|consigne|regles|directives|ordres|indications ~2 precedentes|precedente|anterieures|ci_dessus|initiales|originales|systeme|donnees",
		"ignore|ignorez|ignorer|oublie|oubliez|oublier ~1 toutes|tous|tes|vos ~2 instructions|consignes|regles|directives",
		"ignora|ignore|ignorar|ignoren|olvida|olvide|olviden|olvidar|omite|descarta ~3 instrucciones|instruccion|reglas|indicaciones|directrices|ordenes|normas ~2 anteriores|previas|previos|originales|de_arriba|del_sistema|iniciales",
		"ignora|ignore|ignorar|olvida|olvide|olvidar ~1 todas|todos|tus|sus ~2 instrucciones|reglas|indicaciones|directrices",
		"ignora|ignorare|ignorate|dimentica|dimenticare|dimenticate|trascura ~3 istruzioni|istruzione|regole|indicazioni|direttive|ordini ~2 precedenti|sopra|originali|iniziali|del_sistema",
		"ignora|ignorare|dimentica|dimenticare ~1 tutte|tutti|le_tue ~2 istruzioni|regole|indicazioni",
		"ignore|ignora|ignorar|esqueca|esquece|esquecer|desconsidere|desconsidera ~3 instrucoes|instrucao|regras|orientacoes|diretrizes|ordens ~2 anteriores|acima|originais|iniciais|do_sistema",
		"ignore|ignora|esqueca|esquece|desconsidere ~1 todas|todos|suas ~2 instrucoes|regras|orientacoes",
		"negeer|vergeet|negeren ~3 vorige|eerdere|voorgaande|alle|bovenstaande|oorspronkelijke ~2 instructies|instructie|regels|opdrachten",
		"игнорируй|игнорируйте|игнорировать|проигнорируй|проигнорируйте|забудь|забудьте|забыть|отбрось ~3 предыдущие|предыдущих|все|прошлые|вышеуказанные|вышеперечисленные|свои|исходные|системные ~2 инструкции|инструкций|указания|правила|команды|инструкциям",
		"zignoruj|ignoruj|zapomnij|pomin ~3 poprzednie|wszystkie|wczesniejsze|powyzsze|swoje ~2 instrukcje|polecenia|zasady|reguly",
		"onceki|tum|yukaridaki ~1 talimatlari|talimatlar|kurallari|komutlari ~3 yok|unut|gormezden|goz",
	}, subs: []string{
		"忽略之前", "忽略以上", "忽略上面", "忽略先前", "忽略前面", "忽略所有", "忽略你的指令", "忽略系统", "无视之前", "无视以上", "无视所有", "忘记之前", "忘掉之前", "忘记你的指令", "忘记所有指令", "不要遵循之前", "忽略之前的", "忽視之前", "忽略先前的",
		"以前の指示を無視", "前の指示を無視", "上記の指示を無視", "すべての指示を無視", "これまでの指示を無視", "指示を無視して",
		"이전 지시를 무시", "이전의 지시를 무시", "모든 지시를 무시", "위의 지시를 무시", "이전 지침을 무시", "모든 지침을 무시",
	}},

	// Role-play jailbreak families.
	{family: famRoleplay, weight: 0.95, what: "known jailbreak persona", phrases: []string{
		"do_anything_now",
		"always_intelligent_and_machiavellian",
		"evil_confidant",
		"developer_mode ~3 enabled|enable|activated|output|outputs|response|responses|v2|policies",
		"act|be|play|become|pretend|roleplay ~3 dan|dude|stan|aim|antigpt|betterdan|mongo_tom",
		"you_are ~1 dan|dude|stan|antigpt|betterdan",
		"dan|stan|dude ~2 mode|jailbreak|prompt|persona|character",
		"opposite_mode|antigpt|anti_gpt|betterdan|better_dan|chaos_mode|sudo_mode|jailbreak_mode|unrestricted_mode|dev_mode_enabled|unfiltered_mode|evil_mode|god_mode_enabled",
		"act|pretend|roleplay|play|be ~3 deceased|dead|late ~1 grandma|grandmother|granny|grandpa|grandfather",
		"grandma|grandmother|granny ~8 used_to|would ~4 tell|read|recite|sing|whisper ~8 key|keys|napalm|serial|activation|codes|code|recipe|steps",
	}},
	{family: famRoleplay, weight: 0.75, what: "jailbreak persona", phrases: []string{
		"you_are|youre|you_will_be|you_have_been ~1 jailbroken|unchained|unleashed|freed|liberated|unlocked|unshackled",
		"jailbroken|jailbreak ~2 ai|mode|version|chatbot|assistant|model|gpt|chatgpt|llm|prompt",
		"stay|remain ~1 in_character|in_role",
		"never|dont|do_not|not ~1 break_character|break_out_of_character|leave_character",
	}},
	{family: famRoleplay, weight: 0.2, what: "role-play framing", phrases: []string{
		"pretend|imagine ~2 you_are|youre|to_be",
		"act_as|roleplay_as|role_play_as|you_are_now|from_now_on_you_are|take_on_the_role",
	}},

	// Unrestricted persona descriptors.
	{family: famUnrestricted, weight: 0.7, what: "unrestricted-AI descriptor", phrases: []string{
		"unfiltered|uncensored|unrestricted|amoral|unchained|unaligned|unhinged|unmoderated ~2 " + wAIWord,
		"no|without|free_of|free_from|dont_have|doesnt_have|not_have|lacks|devoid_of|has_no ~1 any ~2 ethical|moral|ethics|morals|content|safety ~1 guidelines|restrictions|boundaries|constraints|limits|limitations|filters|principles|policies|rules|considerations|compass|standards",
		"none_of ~4 responses|response|answers|replies ~4 contain|include|have ~4 sorry|apologize|apologise|cannot|cant|unable",
	}},
	{family: famUnrestricted, weight: 0.5, what: "refusal suppression", phrases: []string{
		"never|not|cannot|cant|wont|will_not|must_not ~1 refuse|decline|deny|reject ~1 a|any|to|the|my|your|answer|request|requests|question|questions",
		"always ~2 comply|complies|fulfill|fulfills|fulfil|fulfils|obey|obeys|answer|answers|respond ~4 no_matter|regardless|request|requests|questions|question|even",
		"regardless_of|no_matter_how|no_matter ~2 immoral|unethical|illegal|dangerous|harmful|inappropriate|offensive|legality|ethics|morality|explicit|harmful",
		"disregard|ignore|ignoring|disregarding|without|regardless ~3 ethical|moral|legal|possible_ethical ~1 implications|considerations|concerns|guidelines|constraints|boundaries|restrictions",
		"dont|do_not|never|not|without ~2 apologize|apologise|add_warnings|include_warnings|add_disclaimers|include_disclaimers|any_disclaimers|any_warnings|moralize|moralizing|lecture",
		"never_ever_deviate|never_deviate_from",
	}},

	// Response priming ("Sure, here is").
	{family: famPriming, weight: 0.85, what: "forced affirmative answer prefix", phrases: []string{
		"begin|start|respond|reply|replying|starting|beginning|answer ~8 sure_here|sure_heres|absolutely_here|certainly_here|sure_i_can|sure_thing",
	}},
	{family: famPriming, weight: 0.3, what: "response-format forcing", phrases: []string{
		"start|begin ~2 your|the ~1 response|reply|answer|output ~3 with|using|by",
		"exact_structure|following_exact|never_deviate",
	}},

	// Harm disclaimers that wrap a request (PAIR-style persuasion).
	{family: famDisclaimer, weight: 0.35, what: "harm disclaimer framing", phrases: []string{
		"purely|entirely|completely|strictly|just ~1 hypothetical|fictional|hypothetically|fictionally|theoretical|for_fiction",
		"educational|research|academic ~3 purposes|purpose ~4 only|hypothetical|fictional|entirely|purely",
		"will_not|wont|never|not ~2 be_used|used ~4 illegal|harmful|real|malicious|actual|unlawful",
	}},

	// Harmful objectives: jailbreaks wrap one in a persona or a story. Alone
	// they stay below the log threshold; with persona or disclaimer
	// framing they cross it (PAIR-style persuasion).
	{family: famHarm, weight: 0.3, what: "harmful objective", phrases: []string{
		"without|avoid|avoiding|evade|evading|escape ~1 getting_caught|being_caught|detection|being_detected|being_traced|leaving_a_trace|suspicion",
		"ransomware|keylogger|malware|spyware|botnet|rootkit|trojan|phishing|counterfeit|explosive|explosives|bomb|napalm|meth|methamphetamine|bioweapon|nerve_agent|insider_trading|money_laundering|launder|extort|extortion|blackmail|bribe|bribery|stalking|stalk|doxx|dox|defamatory|defame|genocide|ethnic_cleansing|child_labor|underage|self_harm|suicide|anorexia|bulimia|torture|cannibal|cannibals|smuggle|smuggling|trafficking|pirate|pirating|plagiarize|cheating|scam|scams|fraud|fraudulent|fake_reviews|disinformation|propaganda|xenophobic|sexist|racist|harass|harassing|hack|hacking|crack|cracking|exploit|exploiting|unauthorized_access|steal|stealing|poison|poisoning|weapon|weapons|illegally|illegal|evade_taxes|tax_evasion",
	}},
	{family: famPersona, weight: 0.25, what: "persona assignment", phrases: []string{
		"you_are_a|you_are_an|youre_a|youre_an|imagine_you_are|imagine_youre|pretend_you_are|as_a|as_an|act_as ~3 hacker|cybercriminal|criminal|consultant|researcher|journalist|historian|writer|author|novelist|expert|specialist|advisor|screenwriter|scriptwriter|detective|agent|character|villain|strategist|chemist|psychologist|trader|politician|lawyer|doctor|scientist|professor|marketer|copywriter|playwright|poet|comedian|blogger|influencer|hobbyist|sociologist|insider|spy|assistant|analyst|manager|speechwriter|propagandist",
		"fictional|hypothetical|dystopian ~1 world|scenario|universe|society",
	}},

	// Fake role delimiters and chat-template tokens.
	{family: famDelimiter, weight: 0.85, what: "chat-template control token", subs: []string{
		"<|im_start|>", "<|im_end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|endoftext|>", "<|eot_id|>",
		"<|start_header_id|>", "<|end_header_id|>", "<|begin_of_text|>", "<|im_sep|>", "<|end|>", "[inst]", "[/inst]",
		"<<sys>>", "<</sys>>", "<start_of_turn>", "<end_of_turn>", "</user><system>", "</user> <system>", "</human><system>",
	}},
	{family: famDelimiter, weight: 0.7, what: "fake role delimiter", subs: []string{
		"### system", "###system", "### instruction", "### new instruction", "## system prompt", "[system]", "[system message]",
		"(system)", "<system>", "</system>", "</user>", "<|system", "\nsystem:", "\n\nhuman:", "\n\nassistant:",
		"[/system]", "[admin]", "### assistant",
	}, phrases: []string{
		"system_override|begin_system_prompt|end_of_system_prompt|end_system_prompt|system_prompt_ends|new_system_prompt|updated_system_prompt",
	}},

	// System-prompt exfiltration.
	{family: famExfil, weight: 0.85, what: "system-prompt exfiltration request", phrases: []string{
		"reveal|show|print|repeat|output|display|tell|give|share|leak|dump|spell_out|recite|expose|disclose|paste|copy|return|echo|provide ~3 your|the|hidden|secret|initial|original|full|entire|complete|exact|verbatim ~3 system|initial|original|hidden|secret|pre|developer|first|confidential ~1 prompt|prompts|message|instructions|instruction|directive|directives|configuration|rules",
		"what ~2 are|were|is|was ~1 your ~2 initial|original|system|hidden|secret|exact|first|full|confidential|real ~1 instructions|prompt|rules|directives|message|guidelines",
		"repeat|print|output|echo|recite|reproduce ~3 everything|all|the_text|text|words|the_words|content|the_content|above ~4 above|before|preceding|prior|starting_with|verbatim|so_far",
		"your_system_prompt|your_initial_prompt|your_hidden_prompt|your_instructions_verbatim|your_original_instructions|your_secret_instructions|your_system_message|your_confidential_instructions",
	}},
	{family: famExfil, weight: 0.5, what: "instruction disclosure request", phrases: []string{
		"what ~1 are|were your ~1 instructions|rules|guidelines",
		"everything|text|words|all above_this ~1 line|message|point",
	}},

	// Indirect injections: retrieved content that instructs the assistant.
	{family: famIndirect, weight: 0.6, indirect: true, what: "instruction addressed to the assistant in third-party content", phrases: []string{
		"add|include|insert|integrate|incorporate|embed|blend|append|modify|enhance|augment|translate|render|encode|encrypt|reverse|replace|substitute|express|rewrite|write|provide|use|apply|shift|invert|mention|suggest|supplement|ensure|reply|respond|format|start|end|begin|change|hide|conceal ~8 your|the_assistants|the_ais ~1 response|responses|reply|replies|answer|answers|message|output|code|implementation|codebase|algorithm|elucidation|solution|program|script|summary",
		"in|into|to|within ~1 your ~1 response|reply|answer|message|output|code|implementation|codebase|algorithm|summary",
		"following|subsequent|below|this ~2 code|snippet|excerpt|block|section|link|url ~6 your|into|within",
		"assistant|ai|chatbot|model|llm|gpt|chatgpt ~3 must|should|shall|will|needs_to ~3 now|instead|also|always|only|tell|say|reply|respond|send|include|add|ignore",
		"when|if ~2 summarizing|summarising|reading|processing|answering|translating ~4 this|these ~2 page|email|document|text|message|content|file ~6 you|the_assistant",
	}},

	// Encoding tricks requested in words.
	{family: famEncoded, weight: 0.6, what: "decode-and-follow request", phrases: []string{
		"decode|decrypt|decipher ~5 base64|hex|rot13|binary|cipher|encoded|message|string|this ~8 follow|execute|do|obey|perform|carry_out|run|act_on",
	}},
}

// spacedKeywords are trigger words looked for in spaced-out letter runs
// ("i g n o r e").
var spacedKeywords = []string{
	"ignore", "disregard", "forget", "instruction", "systemprompt", "jailbreak", "bypass", "override",
	"developermode", "doanythingnow", "reveal", "previous",
}
