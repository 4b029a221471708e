<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
    <context>
        <name>ParameterChecks</name>
        <message>
            <source>K^T = %1^%2 = %3 combinations per block is too many (at most %4): lower K or T.</source>
            <translation>K^T = %1^%2 = %3 Kombinationen pro Block sind zu viele (höchstens %4): K oder T verringern.</translation>
        </message>
        <message>
            <source>more than 10^18</source>
            <translation>mehr als 10^18</translation>
        </message>
        <message>
            <source>T = %1 is longer than the model's %2 MoE layers: one block holds them all.</source>
            <translation>T = %1 ist größer als die %2 MoE-Schichten des Modells: Ein Block umfasst sie alle.</translation>
        </message>
        <message>
            <source>Layer %1: a pruning count cannot be negative.</source>
            <translation>Schicht %1: Die Anzahl zu entfernender Experten kann nicht negativ sein.</translation>
        </message>
        <message>
            <source>Layer %1: removing %2 of %3 experts leaves %4, fewer than the %5 each token is routed to (top-k); at most %6 can go.</source>
            <translation>Schicht %1: Von %3 Experten %2 zu entfernen lässt %4 übrig, weniger als die %5, an die jedes Token geleitet wird (Top-k); höchstens %6 können wegfallen.</translation>
        </message>
        <message>
            <source>A pruning ratio of %1 removes %2 experts, but at most %3 can go while every layer keeps its top-k.</source>
            <translation>Ein Pruning-Anteil von %1 entfernt %2 Experten, aber höchstens %3 können wegfallen, wenn jede Schicht ihre Top-k behält.</translation>
        </message>
        <message>
            <source>Layer %1, expert %2: a rank must be at least 1.</source>
            <translation>Schicht %1, Experte %2: Der Rang muss mindestens 1 sein.</translation>
        </message>
        <message>
            <source>Layer %1, expert %2: rank %3 of a %4 × %5 matrix stores %6 parameters, not fewer than the dense %7 (only ranks below %8 save parameters): the matrix stays dense.</source>
            <translation>Schicht %1, Experte %2: Rang %3 einer %4 × %5-Matrix speichert %6 Parameter, nicht weniger als die dichte Matrix mit %7 (nur Ränge unter %8 sparen Parameter): Die Matrix bleibt dicht.</translation>
        </message>
    </context>
    <context>
        <name>main</name>
        <message>
            <source>Warning: %1</source>
            <translation>Warnung: %1</translation>
        </message>
        <message>
            <source>Workbench for compressing Mixture-of-Experts models</source>
            <translation>Werkbank zum Komprimieren von Mixture-of-Experts-Modellen</translation>
        </message>
        <message>
            <source>Checkpoint folder to open (default: the Qwen demo model)</source>
            <translation>Zu öffnender Checkpoint-Ordner (Standard: das Qwen-Demomodell)</translation>
        </message>
        <message>
            <source>Start Run all (analysis and search) once the model is open</source>
            <translation>Nach dem Öffnen des Modells „Alles ausführen“ starten (Analyse und Suche)</translation>
        </message>
        <message>
            <source>After the run, save PNGs of every view into DIR and quit</source>
            <translation>Nach dem Lauf PNGs aller Ansichten in DIR speichern und beenden</translation>
        </message>
        <message>
            <source>Search genetically even where every set can be enumerated</source>
            <translation>Genetisch suchen, auch wenn sich alle Mengen aufzählen lassen</translation>
        </message>
        <message>
            <source>User interface language: en, zh_CN or de (default: Preferences)</source>
            <translation>Sprache der Oberfläche: en, zh_CN oder de (Standard: Einstellungen)</translation>
        </message>
        <message>
            <source>Print the demo folder this executable uses and quit</source>
            <translation>Den von diesem Programm verwendeten Demo-Ordner ausgeben und beenden</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::MainWindow</name>
        <message>
            <source>MoE Workbench</source>
            <translation>MoE-Werkbank</translation>
        </message>
        <message>
            <source>Open a checkpoint or a demo model to begin.</source>
            <translation>Öffnen Sie einen Checkpoint oder ein Demomodell, um zu beginnen.</translation>
        </message>
        <message>
            <source>Model</source>
            <translation>Modell</translation>
        </message>
        <message>
            <source>Parameters</source>
            <translation>Parameter</translation>
        </message>
        <message>
            <source>Layer importance</source>
            <translation>Schichtwichtigkeit</translation>
        </message>
        <message>
            <source>Search convergence</source>
            <translation>Suchkonvergenz</translation>
        </message>
        <message>
            <source>KT blocks</source>
            <translation>KT-Blöcke</translation>
        </message>
        <message>
            <source>none</source>
            <translation>keines</translation>
        </message>
        <message>
            <source>Session saved to %1</source>
            <translation>Sitzung gespeichert unter %1</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>Fertig</translation>
        </message>
        <message>
            <source>Cancelled; the previous results are shown</source>
            <translation>Abgebrochen; die vorherigen Ergebnisse werden angezeigt</translation>
        </message>
        <message>
            <source>layer %1</source>
            <translation>Schicht %1</translation>
        </message>
        <message>
            <source>%1 – MoE Workbench</source>
            <translation>%1 – MoE-Werkbank</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>Fehlgeschlagen</translation>
        </message>
        <message>
            <source>The job failed.</source>
            <translation>Der Auftrag ist fehlgeschlagen.</translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>Wird abgebrochen…</translation>
        </message>
        <message>
            <source>&amp;File</source>
            <translation>&amp;Datei</translation>
        </message>
        <message>
            <source>&amp;Open checkpoint…</source>
            <translation>Checkpoint ö&amp;ffnen…</translation>
        </message>
        <message>
            <source>Open &amp;demo model</source>
            <translation>&amp;Demomodell öffnen</translation>
        </message>
        <message>
            <source>Qwen1.5-MoE style (shared experts)</source>
            <translation>Qwen1.5-MoE-Stil (geteilte Experten)</translation>
        </message>
        <message>
            <source>Mixtral style (8 experts, top-2)</source>
            <translation>Mixtral-Stil (8 Experten, Top-2)</translation>
        </message>
        <message>
            <source>DeepSeek-V2 style (MLA, shared experts)</source>
            <translation>DeepSeek-V2-Stil (MLA, geteilte Experten)</translation>
        </message>
        <message>
            <source>Not found in this installation</source>
            <translation>In dieser Installation nicht gefunden</translation>
        </message>
        <message>
            <source>Open &amp;recent</source>
            <translation>&amp;Zuletzt geöffnet</translation>
        </message>
        <message>
            <source>Open &amp;session…</source>
            <translation>&amp;Sitzung öffnen…</translation>
        </message>
        <message>
            <source>&amp;Save session</source>
            <translation>Sitzung &amp;speichern</translation>
        </message>
        <message>
            <source>Save session &amp;as…</source>
            <translation>Sitzung speichern &amp;unter…</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>&amp;Beenden</translation>
        </message>
        <message>
            <source>&amp;Edit</source>
            <translation>&amp;Bearbeiten</translation>
        </message>
        <message>
            <source>&amp;Preferences…</source>
            <translation>&amp;Einstellungen…</translation>
        </message>
        <message>
            <source>&amp;Run</source>
            <translation>&amp;Ausführen</translation>
        </message>
        <message>
            <source>&amp;Analyze importance</source>
            <translation>Wichtigkeit &amp;analysieren</translation>
        </message>
        <message>
            <source>Calibration pass: expert removal losses and routing statistics, layer by layer</source>
            <translation>Kalibrierdurchlauf: Entfernungsverluste der Experten und Routing-Statistiken, Schicht für Schicht</translation>
        </message>
        <message>
            <source>&amp;Search</source>
            <translation>&amp;Suchen</translation>
        </message>
        <message>
            <source>Genetic search per layer, then the KT block search (reuses the analysis)</source>
            <translation>Genetische Suche je Schicht, dann die KT-Blocksuche (verwendet die Analyse weiter)</translation>
        </message>
        <message>
            <source>Run a&amp;ll</source>
            <translation>A&amp;lles ausführen</translation>
        </message>
        <message>
            <source>&amp;Cancel</source>
            <translation>&amp;Abbrechen</translation>
        </message>
        <message>
            <source>&amp;Parameters…</source>
            <translation>&amp;Parameter…</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>&amp;Ansicht</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>&amp;Hilfe</translation>
        </message>
        <message>
            <source>&amp;Methods guide</source>
            <translation>&amp;Methodenleitfaden</translation>
        </message>
        <message>
            <source>&amp;About MoE Workbench</source>
            <translation>Ü&amp;ber MoE-Werkbank</translation>
        </message>
        <message>
            <source>Open checkpoint folder (config.json + safetensors)</source>
            <translation>Checkpoint-Ordner öffnen (config.json + safetensors)</translation>
        </message>
        <message>
            <source>Open session</source>
            <translation>Sitzung öffnen</translation>
        </message>
        <message>
            <source>Sessions (*.h5)</source>
            <translation>Sitzungen (*.h5)</translation>
        </message>
        <message>
            <source>Save session</source>
            <translation>Sitzung speichern</translation>
        </message>
        <message>
            <source>The thread count applies from the next start.</source>
            <translation>Die Threadanzahl gilt ab dem nächsten Start.</translation>
        </message>
        <message>
            <source>Not started: %1</source>
            <translation>Nicht gestartet: %1</translation>
        </message>
        <message>
            <source>About MoE Workbench</source>
            <translation>Über MoE-Werkbank</translation>
        </message>
        <message>
            <source>&lt;h3&gt;MoE Workbench %1&lt;/h3&gt;&lt;p&gt;Analyse, compress, evaluate and export Mixture-of-Experts language models: MoE-I², expert/layer/block drop and CD-MoE condensing.&lt;/p&gt;</source>
            <translation>&lt;h3&gt;MoE-Werkbank %1&lt;/h3&gt;&lt;p&gt;Mixture-of-Experts-Sprachmodelle analysieren, komprimieren, bewerten und exportieren: MoE-I², Experten-/Schicht-/Block-Drop und CD-MoE-Verdichtung.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>Methods guide</source>
            <translation>Methodenleitfaden</translation>
        </message>
        <message>
            <source>&lt;h3&gt;MoE-I² expert pruning&lt;/h3&gt;</source>
            <translation>&lt;h3&gt;MoE-I²-Expertenpruning&lt;/h3&gt;</translation>
        </message>
        <message>
            <source>&lt;p&gt;&lt;b&gt;1. Analyze importance.&lt;/b&gt; Calibration text runs through the model one layer at a time. For every expert the exact change of the MoE block's output when that expert alone is removed is its &lt;i&gt;removal loss&lt;/i&gt;; a layer's importance is the sum over its experts. The heatmap also shows routing statistics: how often an expert is selected, its mean gate weight when selected and its mean softmax mass.&lt;/p&gt;&lt;p&gt;&lt;b&gt;2. Pruning counts.&lt;/b&gt; A global ratio of routed experts is removed; important layers lose fewer (the orange bars in the layer chart).&lt;/p&gt;&lt;p&gt;&lt;b&gt;3. Search.&lt;/b&gt; For each layer a genetic search looks for the set of experts whose removal changes the layer output least; the convergence plot shows the best, mean and worst loss of each generation. Small layers are enumerated exactly instead.&lt;/p&gt;&lt;p&gt;&lt;b&gt;4. KT block search.&lt;/b&gt; Consecutive blocks of T layers try every combination of each layer's K best sets through the real layers and keep the combination with the smallest output change. Removed experts are marked ✕ in the heatmap.&lt;/p&gt;&lt;p&gt;Everything is saved in the session file and can be run the same way with &lt;tt&gt;moe-compress analyze&lt;/tt&gt; and &lt;tt&gt;moe-compress search&lt;/tt&gt;.&lt;/p&gt;</source>
            <translation>&lt;p&gt;&lt;b&gt;1. Wichtigkeit analysieren.&lt;/b&gt; Kalibriertext läuft Schicht für Schicht durch das Modell. Für jeden Experten ist die exakte Änderung der Ausgabe des MoE-Blocks, wenn nur dieser Experte entfernt wird, sein &lt;i&gt;Entfernungsverlust&lt;/i&gt;; die Wichtigkeit einer Schicht ist die Summe über ihre Experten. Die Heatmap zeigt außerdem Routing-Statistiken: wie oft ein Experte gewählt wird, sein mittleres Gate-Gewicht, wenn er gewählt wird, und seine mittlere Softmax-Masse.&lt;/p&gt;&lt;p&gt;&lt;b&gt;2. Pruning-Anzahlen.&lt;/b&gt; Ein globaler Anteil der gerouteten Experten wird entfernt; wichtige Schichten verlieren weniger (die orangen Balken im Schichtdiagramm).&lt;/p&gt;&lt;p&gt;&lt;b&gt;3. Suche.&lt;/b&gt; Für jede Schicht sucht eine genetische Suche die Expertenmenge, deren Entfernung die Ausgabe der Schicht am wenigsten verändert; das Konvergenzdiagramm zeigt den besten, mittleren und schlechtesten Verlust jeder Generation. Kleine Schichten werden stattdessen exakt aufgezählt.&lt;/p&gt;&lt;p&gt;&lt;b&gt;4. KT-Blocksuche.&lt;/b&gt; Blöcke aus T aufeinanderfolgenden Schichten probieren jede Kombination der K besten Mengen jeder Schicht durch die echten Schichten und behalten die Kombination mit der kleinsten Ausgabeänderung. Entfernte Experten sind in der Heatmap mit ✕ markiert.&lt;/p&gt;&lt;p&gt;Alles wird in der Sitzungsdatei gespeichert und lässt sich genauso mit &lt;tt&gt;moe-compress analyze&lt;/tt&gt; und &lt;tt&gt;moe-compress search&lt;/tt&gt; ausführen.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>Importance</source>
            <translation>Wichtigkeit</translation>
        </message>
        <message>
            <source>Compare</source>
            <translation>Vergleich</translation>
        </message>
        <message>
            <source>Apply &amp;&amp; &amp;evaluate</source>
            <translation>Anwenden &amp;&amp; b&amp;ewerten</translation>
        </message>
        <message>
            <source>Perplexity, KL, task accuracy, size and speed of the original and every plan</source>
            <translation>Perplexität, KL, Aufgabengenauigkeit, Größe und Geschwindigkeit des Originals und jedes Plans</translation>
        </message>
        <message>
            <source>original</source>
            <translation>Original</translation>
        </message>
        <message>
            <source>Ranks</source>
            <translation>Ränge</translation>
        </message>
        <message>
            <source>Run &amp;method</source>
            <translation>&amp;Methode ausführen</translation>
        </message>
        <message>
            <source>Expert/Layer/Block Drop, Wanda, SparseGPT or CD-MoE as chosen in Parameters</source>
            <translation>Expert/Layer/Block Drop, Wanda, SparseGPT oder CD-MoE, wie in den Parametern gewählt</translation>
        </message>
        <message>
            <source>Rec&amp;over…</source>
            <translation>Wieder&amp;herstellen…</translation>
        </message>
        <message>
            <source>LoRA recovery fine-tuning of a plan, with the live loss curve</source>
            <translation>LoRA-Erholungs-Feinabstimmung eines Plans mit Live-Verlustkurve</translation>
        </message>
        <message>
            <source>Similarity</source>
            <translation>Ähnlichkeit</translation>
        </message>
        <message>
            <source>Recover</source>
            <translation>Wiederherstellen</translation>
        </message>
        <message>
            <source>Plan %1 is in the session; Run ▸ Apply &amp; evaluate compares it with the original.</source>
            <translation>Plan %1 ist in der Sitzung; Ausführen ▸ Anwenden &amp; bewerten vergleicht ihn mit dem Original.</translation>
        </message>
        <message>
            <source>Choose Expert Drop, Layer Drop, Block Drop, Wanda, SparseGPT or CD-MoE in Parameters (MoE-I² runs with Run all).</source>
            <translation>Wählen Sie in den Parametern Expert Drop, Layer Drop, Block Drop, Wanda, SparseGPT oder CD-MoE (MoE-I² läuft mit „Alles ausführen“).</translation>
        </message>
        <message>
            <source>Layer Drop: MoE sublayer input vs output (plan %1)</source>
            <translation>Layer Drop: Eingabe vs. Ausgabe der MoE-Unterschichten (Plan %1)</translation>
        </message>
        <message>
            <source>Block Drop: decoder block input vs output (plan %1)</source>
            <translation>Block Drop: Eingabe vs. Ausgabe der Decoder-Blöcke (Plan %1)</translation>
        </message>
        <message>
            <source>LoRA recovery of %1 (rank %2, %3 steps)</source>
            <translation>LoRA-Erholung von %1 (Rang %2, %3 Schritte)</translation>
        </message>
        <message>
            <source>LoRA recovery of %1 by distillation (rank %2, %3 steps, T %4, weight %5)</source>
            <translation>LoRA-Erholung von %1 durch Destillation (Rang %2, %3 Schritte, T %4, Gewicht %5)</translation>
        </message>
        <message>
            <source>Distillation loss (nats)</source>
            <translation>Destillationsverlust (nats)</translation>
        </message>
        <message>
            <source>held-out distillation loss (selects the adapters)</source>
            <translation>Held-out-Destillationsverlust (wählt die Adapter)</translation>
        </message>
        <message>
            <source>Cross-entropy loss (nats)</source>
            <translation>Kreuzentropie-Verlust (nats)</translation>
        </message>
        <message>
            <source>&amp;Decompose (low rank)</source>
            <translation>&amp;Zerlegen (niedriger Rang)</translation>
        </message>
        <message>
            <source>Factor the surviving experts of the plan chosen under Low rank: rank allocation and SVD</source>
            <translation>Die verbleibenden Experten des unter „Niedriger Rang“ gewählten Plans faktorisieren: Rangzuteilung und SVD</translation>
        </message>
        <message>
            <source>&amp;Export compressed model…</source>
            <translation>Komprimiertes Modell &amp;exportieren…</translation>
        </message>
        <message>
            <source>Write a plan of the session as a checkpoint folder, after a deployability report</source>
            <translation>Einen Plan der Sitzung nach einem Einsetzbarkeitsbericht als Checkpoint-Ordner schreiben</translation>
        </message>
        <message>
            <source>Wait until the running job has finished, or cancel it, before exporting.</source>
            <translation>Warten Sie, bis der laufende Auftrag fertig ist, oder brechen Sie ihn ab, bevor Sie exportieren.</translation>
        </message>
        <message>
            <source>CD-MoE fine-tuning of %1 (%2 steps)</source>
            <translation>CD-MoE-Feinabstimmung von %1 (%2 Schritte)</translation>
        </message>
        <message>
            <source>Recover cancelled; its checkpoint is in %1: tick Advanced ▸ Checkpoint every ▸ Resume and Recover to continue where it stopped.</source>
            <translation>Wiederherstellung abgebrochen; ihr Checkpoint liegt in %1: Erweitert ▸ Checkpoint alle ▸ Fortsetzen ankreuzen und Wiederherstellen, um dort weiterzumachen, wo sie stehen blieb.</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::ModelTree</name>
        <message>
            <source>Component</source>
            <translation>Komponente</translation>
        </message>
        <message>
            <source>Parameters</source>
            <translation>Parameter</translation>
        </message>
        <message>
            <source>Bytes</source>
            <translation>Byte</translation>
        </message>
        <message>
            <source>Layer %1 (MoE)</source>
            <translation>Schicht %1 (MoE)</translation>
        </message>
        <message>
            <source>Layer %1 (dense)</source>
            <translation>Schicht %1 (dicht)</translation>
        </message>
        <message>
            <source>MoE layer: %1 routed experts, top-%2 routing</source>
            <translation>MoE-Schicht: %1 geroutete Experten, Top-%2-Routing</translation>
        </message>
        <message>
            <source>Dense layer</source>
            <translation>Dichte Schicht</translation>
        </message>
        <message>
            <source>Attention</source>
            <translation>Attention</translation>
        </message>
        <message>
            <source>Dense MLP</source>
            <translation>Dichtes MLP</translation>
        </message>
        <message>
            <source>MoE block</source>
            <translation>MoE-Block</translation>
        </message>
        <message>
            <source>%1 routed experts, top-%2 routing</source>
            <translation>%1 geroutete Experten, Top-%2-Routing</translation>
        </message>
        <message>
            <source>Router</source>
            <translation>Router</translation>
        </message>
        <message>
            <source>Shared experts</source>
            <translation>Geteilte Experten</translation>
        </message>
        <message>
            <source>Expert %1</source>
            <translation>Experte %1</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::ParametersDock</name>
        <message>
            <source>Reset to defaults</source>
            <translation>Auf Standardwerte zurücksetzen</translation>
        </message>
        <message>
            <source>The defaults of Preferences; count overrides are kept</source>
            <translation>Die Standardwerte aus den Einstellungen; von Hand gesetzte Anzahlen bleiben erhalten</translation>
        </message>
        <message>
            <source>Run</source>
            <translation>Ausführen</translation>
        </message>
        <message>
            <source>Run all, recomputing only the stages whose parameters changed</source>
            <translation>Alles ausführen und nur die Stufen neu berechnen, deren Parameter sich geändert haben</translation>
        </message>
        <message>
            <source>Method</source>
            <translation>Methode</translation>
        </message>
        <message>
            <source>MoE-I² (expert pruning, then low rank)</source>
            <translation>MoE-I² (Expertenpruning, dann niedriger Rang)</translation>
        </message>
        <message>
            <source>Method:</source>
            <translation>Methode:</translation>
        </message>
        <message>
            <source>CPU</source>
            <translation>CPU</translation>
        </message>
        <message>
            <source>CUDA device %1</source>
            <translation>CUDA-Gerät %1</translation>
        </message>
        <message>
            <source>Device:</source>
            <translation>Gerät:</translation>
        </message>
        <message>
            <source>Calibration</source>
            <translation>Kalibrierung</translation>
        </message>
        <message>
            <source>demo calibration text</source>
            <translation>Demo-Kalibriertext</translation>
        </message>
        <message>
            <source>Calibration text</source>
            <translation>Kalibriertext</translation>
        </message>
        <message>
            <source>Text (*.txt *.jsonl);;All files (*)</source>
            <translation>Text (*.txt *.jsonl);;Alle Dateien (*)</translation>
        </message>
        <message>
            <source>Text:</source>
            <translation>Textdatei:</translation>
        </message>
        <message>
            <source>Samples (n):</source>
            <translation>Stichproben (n):</translation>
        </message>
        <message>
            <source>Sequence length (s):</source>
            <translation>Sequenzlänge (s):</translation>
        </message>
        <message>
            <source>Sampling seed:</source>
            <translation>Stichproben-Seed:</translation>
        </message>
        <message>
            <source>Expert pruning</source>
            <translation>Expertenpruning</translation>
        </message>
        <message>
            <source>Fraction of all routed experts to remove; important layers lose fewer</source>
            <translation>Anteil aller gerouteten Experten, der entfernt wird; wichtige Schichten verlieren weniger</translation>
        </message>
        <message>
            <source>Pruning ratio:</source>
            <translation>Pruning-Anteil:</translation>
        </message>
        <message>
            <source>Population (N):</source>
            <translation>Populationsgröße (N):</translation>
        </message>
        <message>
            <source>Generations (G):</source>
            <translation>Generationen (G):</translation>
        </message>
        <message>
            <source>Best sets per layer that the block search combines</source>
            <translation>Beste Mengen je Schicht, die die Blocksuche kombiniert</translation>
        </message>
        <message>
            <source>Candidates per layer (K):</source>
            <translation>Kandidaten je Schicht (K):</translation>
        </message>
        <message>
            <source>Consecutive MoE layers searched together; K^T combinations per block</source>
            <translation>Gemeinsam durchsuchte aufeinanderfolgende MoE-Schichten; K^T Kombinationen je Block</translation>
        </message>
        <message>
            <source>Layers per block (T):</source>
            <translation>Schichten je Block (T):</translation>
        </message>
        <message>
            <source>Search seed:</source>
            <translation>Such-Seed:</translation>
        </message>
        <message>
            <source>Low rank (Run ▸ Decompose)</source>
            <translation>Niedriger Rang (Ausführen ▸ Zerlegen)</translation>
        </message>
        <message>
            <source>The plan whose surviving experts Decompose factors. The result is a new plan: moe-i2 from the MoE-I² search, NAME-lowrank from plan NAME</source>
            <translation>Der Plan, dessen verbleibende Experten „Zerlegen“ faktorisiert. Das Ergebnis ist ein neuer Plan: moe-i2 aus der MoE-I²-Suche, NAME-lowrank aus dem Plan NAME</translation>
        </message>
        <message>
            <source>Start from:</source>
            <translation>Ausgangsplan:</translation>
        </message>
        <message>
            <source>MoE-I² search (moe-i2-search)</source>
            <translation>MoE-I²-Suche (moe-i2-search)</translation>
        </message>
        <message>
            <source>None: the unpruned model</source>
            <translation>Keiner: das ungeprunte Modell</translation>
        </message>
        <message>
            <source>Fraction of the surviving experts' parameters removed by factorisation</source>
            <translation>Anteil der Parameter der verbleibenden Experten, der durch Faktorisierung entfällt</translation>
        </message>
        <message>
            <source>Decomposition rate:</source>
            <translation>Zerlegungsrate:</translation>
        </message>
        <message>
            <source>How strongly expert importance shifts rank between a layer's experts (0: equal)</source>
            <translation>Wie stark die Expertenwichtigkeit den Rang zwischen den Experten einer Schicht verschiebt (0: gleich)</translation>
        </message>
        <message>
            <source>Alpha:</source>
            <translation>Alpha:</translation>
        </message>
        <message>
            <source>Activation-aware (whitened)</source>
            <translation>Aktivierungsbewusst (geweißt)</translation>
        </message>
        <message>
            <source>Plain SVD</source>
            <translation>Einfache SVD</translation>
        </message>
        <message>
            <source>SVD mode:</source>
            <translation>SVD-Modus:</translation>
        </message>
        <message>
            <source>Pruning counts per layer</source>
            <translation>Pruning-Anzahl je Schicht</translation>
        </message>
        <message>
            <source>Reset all overrides</source>
            <translation>Alle manuellen Werte zurücksetzen</translation>
        </message>
        <message>
            <source>Next run: every stage (nothing computed yet).</source>
            <translation>Nächster Lauf: alle Stufen (noch nichts berechnet).</translation>
        </message>
        <message>
            <source>Next run: calibration pass, importance, allocation, genetic search and KT block search.</source>
            <translation>Nächster Lauf: Kalibrierdurchlauf, Wichtigkeit, Zuteilung, genetische Suche und KT-Blocksuche.</translation>
        </message>
        <message>
            <source>Next run: allocation, genetic search and KT block search (importance is reused).</source>
            <translation>Nächster Lauf: Zuteilung, genetische Suche und KT-Blocksuche (die Wichtigkeit wird weiterverwendet).</translation>
        </message>
        <message>
            <source>Next run: genetic search and KT block search (importance and counts are reused).</source>
            <translation>Nächster Lauf: genetische Suche und KT-Blocksuche (Wichtigkeit und Anzahlen werden weiterverwendet).</translation>
        </message>
        <message>
            <source>Next run: only the KT block search (everything else is reused).</source>
            <translation>Nächster Lauf: nur die KT-Blocksuche (alles andere wird weiterverwendet).</translation>
        </message>
        <message>
            <source>Next run: nothing to recompute; the results shown are current.</source>
            <translation>Nächster Lauf: nichts neu zu berechnen; die angezeigten Ergebnisse sind aktuell.</translation>
        </message>
        <message>
            <source>Fix the parameters marked in red first</source>
            <translation>Zuerst die rot markierten Parameter korrigieren</translation>
        </message>
        <message>
            <source>Choose a calibration text (plain text or JSONL)</source>
            <translation>Kalibriertext wählen (Klartext oder JSONL)</translation>
        </message>
        <message>
            <source>Always search genetically</source>
            <translation>Immer genetisch suchen</translation>
        </message>
        <message>
            <source>Search genetically even where enumerating every set is cheaper</source>
            <translation>Genetisch suchen, auch wo das Aufzählen aller Mengen günstiger ist</translation>
        </message>
        <message>
            <source>Expert Drop (router mass)</source>
            <translation>Expert Drop (Router-Masse)</translation>
        </message>
        <message>
            <source>Layer Drop (MoE sublayers)</source>
            <translation>Layer Drop (MoE-Unterschichten)</translation>
        </message>
        <message>
            <source>Block Drop (decoder blocks)</source>
            <translation>Block Drop (Decoder-Blöcke)</translation>
        </message>
        <message>
            <source>Wanda (expert slimming)</source>
            <translation>Wanda (Experten-Ausdünnung)</translation>
        </message>
        <message>
            <source>SparseGPT (expert slimming)</source>
            <translation>SparseGPT (Experten-Ausdünnung)</translation>
        </message>
        <message>
            <source>CD-MoE condensing</source>
            <translation>CD-MoE-Verdichtung</translation>
        </message>
        <message>
            <source>Next run: %1 on the calibration data; its plan goes into the session.</source>
            <translation>Nächster Lauf: %1 auf den Kalibrierdaten; sein Plan kommt in die Sitzung.</translation>
        </message>
        <message>
            <source>Advanced</source>
            <translation>Erweitert</translation>
        </message>
        <message>
            <source>Tokens through a layer at once in the calibration, scoring, method and evaluation passes (whole blocks, at least one; --batch-tokens): more is faster and takes more memory; the results agree up to rounding</source>
            <translation>Token, die in den Kalibrier-, Bewertungs-, Methoden- und Evaluationsdurchläufen gleichzeitig durch eine Schicht gehen (ganze Blöcke, mindestens einer; --batch-tokens): mehr ist schneller und braucht mehr Speicher; die Ergebnisse stimmen bis auf Rundung überein</translation>
        </message>
        <message>
            <source>Batch tokens:</source>
            <translation>Batch-Token:</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::PreferencesDialog</name>
        <message>
            <source>Preferences</source>
            <translation>Einstellungen</translation>
        </message>
        <message>
            <source>General</source>
            <translation>Allgemein</translation>
        </message>
        <message>
            <source>System language (%1)</source>
            <translation>Systemsprache (%1)</translation>
        </message>
        <message>
            <source>Language:</source>
            <translation>Sprache:</translation>
        </message>
        <message>
            <source>The new language is used from the next start.</source>
            <translation>Die neue Sprache gilt ab dem nächsten Start.</translation>
        </message>
        <message>
            <source>All cores (%1)</source>
            <translation>Alle Kerne (%1)</translation>
        </message>
        <message>
            <source>Compute threads:</source>
            <translation>Rechen-Threads:</translation>
        </message>
        <message>
            <source>CPU</source>
            <translation>CPU</translation>
        </message>
        <message>
            <source>CUDA device %1</source>
            <translation>CUDA-Gerät %1</translation>
        </message>
        <message>
            <source>Compute device:</source>
            <translation>Rechengerät:</translation>
        </message>
        <message>
            <source>Default calibration of new runs</source>
            <translation>Standardkalibrierung neuer Läufe</translation>
        </message>
        <message>
            <source>demo calibration text</source>
            <translation>Demo-Kalibriertext</translation>
        </message>
        <message>
            <source>Calibration text</source>
            <translation>Kalibriertext</translation>
        </message>
        <message>
            <source>Text (*.txt *.jsonl);;All files (*)</source>
            <translation>Text (*.txt *.jsonl);;Alle Dateien (*)</translation>
        </message>
        <message>
            <source>Calibration text:</source>
            <translation>Kalibriertext:</translation>
        </message>
        <message>
            <source>Samples (n):</source>
            <translation>Stichproben (n):</translation>
        </message>
        <message>
            <source>Sequence length (s):</source>
            <translation>Sequenzlänge (s):</translation>
        </message>
        <message>
            <source>Sampling seed:</source>
            <translation>Stichproben-Seed:</translation>
        </message>
        <message>
            <source>Apply &amp;&amp; evaluate</source>
            <translation>Anwenden &amp;&amp; bewerten</translation>
        </message>
        <message>
            <source>Held-out text:</source>
            <translation>Held-out-Text:</translation>
        </message>
        <message>
            <source>demo evaluation text</source>
            <translation>Demo-Bewertungstext</translation>
        </message>
        <message>
            <source>Held-out text</source>
            <translation>Held-out-Text</translation>
        </message>
        <message>
            <source>Consecutive windows from the start of the text; perplexity and KL are averaged over them</source>
            <translation>Aufeinanderfolgende Fenster ab dem Textanfang; Perplexität und KL werden über sie gemittelt</translation>
        </message>
        <message>
            <source>Windows:</source>
            <translation>Fenster:</translation>
        </message>
        <message>
            <source>Tokens per window, at most the model&apos;s context length</source>
            <translation>Tokens je Fenster, höchstens die Kontextlänge des Modells</translation>
        </message>
        <message>
            <source>Window length (tokens):</source>
            <translation>Fensterlänge (Tokens):</translation>
        </message>
        <message>
            <source>Multiple-choice tasks:</source>
            <translation>Multiple-Choice-Aufgaben:</translation>
        </message>
        <message>
            <source>demo tasks</source>
            <translation>Demo-Aufgaben</translation>
        </message>
        <message>
            <source>Multiple-choice tasks</source>
            <translation>Multiple-Choice-Aufgaben</translation>
        </message>
        <message>
            <source>JSON Lines (*.jsonl);;All files (*)</source>
            <translation>JSON Lines (*.jsonl);;Alle Dateien (*)</translation>
        </message>
        <message>
            <source>All</source>
            <translation>Alle</translation>
        </message>
        <message>
            <source>Questions (at most):</source>
            <translation>Fragen (höchstens):</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::StatusPanel</name>
        <message>
            <source>Idle</source>
            <translation>Bereit</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Abbrechen</translation>
        </message>
        <message>
            <source>Stop the running job; the previous results stay</source>
            <translation>Den laufenden Auftrag anhalten; die vorherigen Ergebnisse bleiben</translation>
        </message>
        <message>
            <source>Memory the process uses (anonymous pages; mapped checkpoint files are not counted)</source>
            <translation>Vom Prozess belegter Speicher (anonyme Seiten; eingeblendete Checkpoint-Dateien zählen nicht)</translation>
        </message>
        <message>
            <source>ETA %1 min %2 s</source>
            <translation>Restzeit %1 min %2 s</translation>
        </message>
        <message>
            <source>ETA %1 s</source>
            <translation>Restzeit %1 s</translation>
        </message>
        <message>
            <source>Device: %1</source>
            <translation>Gerät: %1</translation>
        </message>
        <message>
            <source>Memory: %1</source>
            <translation>Speicher: %1</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::Worker</name>
        <message>
            <source>Open model</source>
            <translation>Modell öffnen</translation>
        </message>
        <message>
            <source>Open session</source>
            <translation>Sitzung öffnen</translation>
        </message>
        <message>
            <source>Save session</source>
            <translation>Sitzung speichern</translation>
        </message>
        <message>
            <source>Analyze importance</source>
            <translation>Wichtigkeit analysieren</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>Suche</translation>
        </message>
        <message>
            <source>Run all</source>
            <translation>Alles ausführen</translation>
        </message>
        <message>
            <source>Set threads</source>
            <translation>Threads festlegen</translation>
        </message>
        <message>
            <source>Apply &amp; evaluate</source>
            <translation>Anwenden &amp; bewerten</translation>
        </message>
        <message>
            <source>Run method</source>
            <translation>Methode ausführen</translation>
        </message>
        <message>
            <source>Recover</source>
            <translation>Wiederherstellen</translation>
        </message>
        <message>
            <source>Decompose</source>
            <translation>Zerlegen</translation>
        </message>
        <message>
            <source>Export report</source>
            <translation>Exportbericht</translation>
        </message>
        <message>
            <source>Export</source>
            <translation>Exportieren</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::WorkerCore</name>
        <message>
            <source>Opening %1</source>
            <translation>%1 wird geöffnet</translation>
        </message>
        <message>
            <source>CPU, %1 threads</source>
            <translation>CPU, %1 Threads</translation>
        </message>
        <message>
            <source>CUDA device %1</source>
            <translation>CUDA-Gerät %1</translation>
        </message>
        <message>
            <source>Opening session %1</source>
            <translation>Sitzung %1 wird geöffnet</translation>
        </message>
        <message>
            <source>Saving session %1</source>
            <translation>Sitzung %1 wird gespeichert</translation>
        </message>
        <message>
            <source>Reading calibration text</source>
            <translation>Kalibriertext wird gelesen</translation>
        </message>
        <message>
            <source>layer %1</source>
            <translation>Schicht %1</translation>
        </message>
        <message>
            <source>Calibration and importance</source>
            <translation>Kalibrierung und Wichtigkeit</translation>
        </message>
        <message>
            <source>Capturing search inputs</source>
            <translation>Sucheingaben werden erfasst</translation>
        </message>
        <message>
            <source>Precomputing fast losses</source>
            <translation>Schnelle Verluste werden vorberechnet</translation>
        </message>
        <message>
            <source>Genetic search</source>
            <translation>Genetische Suche</translation>
        </message>
        <message>
            <source>KT block search</source>
            <translation>KT-Blocksuche</translation>
        </message>
        <message>
            <source>Saving session</source>
            <translation>Sitzung wird gespeichert</translation>
        </message>
        <message>
            <source>Reading evaluation text</source>
            <translation>Bewertungstext wird gelesen</translation>
        </message>
        <message>
            <source>Evaluating the original model</source>
            <translation>Das Originalmodell wird bewertet</translation>
        </message>
        <message>
            <source>Evaluating plan %1</source>
            <translation>Plan %1 wird bewertet</translation>
        </message>
        <message>
            <source>Expert scores</source>
            <translation>Expertenbewertungen</translation>
        </message>
        <message>
            <source>Layer similarity</source>
            <translation>Schichtähnlichkeit</translation>
        </message>
        <message>
            <source>Expert slimming (%1)</source>
            <translation>Experten-Ausdünnung (%1)</translation>
        </message>
        <message>
            <source>CD-MoE condensing</source>
            <translation>CD-MoE-Verdichtung</translation>
        </message>
        <message>
            <source>Applying plan %1</source>
            <translation>Plan %1 wird angewendet</translation>
        </message>
        <message>
            <source>Opening the original model as the teacher</source>
            <translation>Originalmodell wird als Lehrer geöffnet</translation>
        </message>
        <message>
            <source>Reading training text</source>
            <translation>Trainingstext wird gelesen</translation>
        </message>
        <message>
            <source>Fine-tuning %1 (LoRA rank %2)</source>
            <translation>Feinabstimmung von %1 (LoRA-Rang %2)</translation>
        </message>
        <message>
            <source>Decomposing experts</source>
            <translation>Experten werden zerlegt</translation>
        </message>
        <message>
            <source>The session holds no plan to export: run the search (Run all) first, or open a session with plans.</source>
            <translation>Die Sitzung enthält keinen Plan zum Exportieren: Führen Sie zuerst die Suche aus (Alles ausführen) oder öffnen Sie eine Sitzung mit Plänen.</translation>
        </message>
        <message>
            <source>The session has no plan '%1'.</source>
            <translation>Die Sitzung hat keinen Plan „%1“.</translation>
        </message>
        <message>
            <source>Plan '%1' needs %2 tensor(s) the session lacks (first: %3); run its stage again.</source>
            <translation>Plan „%1“ braucht %2 Tensor(en), die der Sitzung fehlen (erster: %3); führen Sie seine Stufe erneut aus.</translation>
        </message>
        <message>
            <source>Choose the folder to write the model into.</source>
            <translation>Wählen Sie den Ordner, in den das Modell geschrieben wird.</translation>
        </message>
        <message>
            <source>%1: give the full path of the folder.</source>
            <translation>%1: Geben Sie den vollständigen Pfad des Ordners an.</translation>
        </message>
        <message>
            <source>%1 exists and is not empty. Choose a new folder, or tick "Replace the folder's contents".</source>
            <translation>%1 existiert und ist nicht leer. Wählen Sie einen neuen Ordner oder aktivieren Sie „Inhalt des Ordners ersetzen“.</translation>
        </message>
        <message>
            <source>Writing and verifying %1</source>
            <translation>%1 wird geschrieben und geprüft</translation>
        </message>
        <message>
            <source>Fine-tuning the condensed experts of %1</source>
            <translation>Feinabstimmung der verdichteten Experten von %1</translation>
        </message>
        <message>
            <source>The session&apos;s model folder %1 is not there: open the model where it is now (the same checkpoint keeps this session).</source>
            <translation>Der Modellordner %1 der Sitzung ist nicht vorhanden: Öffnen Sie das Modell an seinem neuen Ort (derselbe Checkpoint behält diese Sitzung).</translation>
        </message>
        <message>
            <source>Resuming from %1</source>
            <translation>Fortsetzen aus %1</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::BlockTable</name>
        <message>
            <source>Block</source>
            <translation>Block</translation>
        </message>
        <message>
            <source>MoE layers</source>
            <translation>MoE-Schichten</translation>
        </message>
        <message>
            <source>Chosen candidates</source>
            <translation>Gewählte Kandidaten</translation>
        </message>
        <message>
            <source>Chosen loss</source>
            <translation>Gewählter Verlust</translation>
        </message>
        <message>
            <source>Best-sets loss</source>
            <translation>Verlust der besten Mengen</translation>
        </message>
        <message>
            <source>Combinations</source>
            <translation>Kombinationen</translation>
        </message>
        <message>
            <source>Candidate index per layer; 0 is the layer's best set from the genetic search</source>
            <translation>Kandidatenindex je Schicht; 0 ist die beste Menge der Schicht aus der genetischen Suche</translation>
        </message>
        <message>
            <source>Loss when every layer takes its own best set (what the block search improves on)</source>
            <translation>Verlust, wenn jede Schicht ihre eigene beste Menge nimmt (was die Blocksuche verbessert)</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::CompareView</name>
        <message>
            <source>Tokens per second</source>
            <translation>Token pro Sekunde</translation>
        </message>
        <message>
            <source>Accuracy: %1</source>
            <translation>Genauigkeit: %1</translation>
        </message>
        <message>
            <source>No evaluations yet: Run ▸ Apply &amp; evaluate fills this view.</source>
            <translation>Noch keine Bewertungen: Ausführen ▸ Anwenden &amp; bewerten füllt diese Ansicht.</translation>
        </message>
        <message>
            <source>Model</source>
            <translation>Modell</translation>
        </message>
        <message>
            <source>Lower is better for perplexity and KL, higher for accuracy and tokens per second; the table gives each change against the original.</source>
            <translation>Bei Perplexität und KL ist niedriger besser, bei Genauigkeit und Token pro Sekunde höher; die Tabelle zeigt jede Änderung gegenüber dem Original.</translation>
        </message>
        <message>
            <source>Perplexity</source>
            <translation>Perplexität</translation>
        </message>
        <message>
            <source>KL to the original</source>
            <translation>KL zum Original</translation>
        </message>
        <message>
            <source>Parameters (millions)</source>
            <translation>Parameter (Millionen)</translation>
        </message>
        <message>
            <source>Weight bytes (MB)</source>
            <translation>Gewichtsgröße (MB)</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::ConvergencePlot</name>
        <message>
            <source>Generation</source>
            <translation>Generation</translation>
        </message>
        <message>
            <source>Reconstruction loss (lower is better)</source>
            <translation>Rekonstruktionsverlust (niedriger ist besser)</translation>
        </message>
        <message>
            <source>best</source>
            <translation>bester</translation>
        </message>
        <message>
            <source>mean</source>
            <translation>Mittel</translation>
        </message>
        <message>
            <source>worst</source>
            <translation>schlechtester</translation>
        </message>
        <message>
            <source>No search yet</source>
            <translation>Noch keine Suche</translation>
        </message>
        <message>
            <source>Select a MoE layer to see its search</source>
            <translation>Eine MoE-Schicht wählen, um ihre Suche zu sehen</translation>
        </message>
        <message>
            <source>Layer %1: no search yet</source>
            <translation>Schicht %1: noch keine Suche</translation>
        </message>
        <message>
            <source>Layer %1: every set enumerated (exact optimum)</source>
            <translation>Schicht %1: alle Mengen aufgezählt (exaktes Optimum)</translation>
        </message>
        <message>
            <source>Layer %1: genetic search, %2 generations</source>
            <translation>Schicht %1: genetische Suche, %2 Generationen</translation>
        </message>
        <message>
            <source>Compare layers</source>
            <translation>Schichten vergleichen</translation>
        </message>
        <message>
            <source>Overlay every searched layer's best loss divided by its generation-0 value: how far and how fast each layer's search improved. Each curve ends in its layer number; the selected layer is drawn thick</source>
            <translation>Den besten Verlust jeder durchsuchten Schicht geteilt durch ihren Wert in Generation 0 überlagern: wie weit und wie schnell sich die Suche jeder Schicht verbessert hat. Jede Kurve endet mit ihrer Schichtnummer; die ausgewählte Schicht ist dick gezeichnet</translation>
        </message>
        <message>
            <source>Best loss / generation 0</source>
            <translation>Bester Verlust / Generation 0</translation>
        </message>
        <message>
            <source>layer %1</source>
            <translation>Schicht %1</translation>
        </message>
        <message>
            <source>%1 layers against generation 0</source>
            <translation>%1 Schichten gegenüber Generation 0</translation>
        </message>
        <message>
            <source>layer %1 (selected)</source>
            <translation>Schicht %1 (ausgewählt)</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::HeatmapView</name>
        <message>
            <source>Expert</source>
            <translation>Experte</translation>
        </message>
        <message>
            <source>Layer</source>
            <translation>Schicht</translation>
        </message>
        <message>
            <source>Importance</source>
            <translation>Wichtigkeit</translation>
        </message>
        <message>
            <source>%1, expert %2
%3: %4</source>
            <translation>%1, Experte %2
%3: %4</translation>
        </message>
        <message>
            <source>not computed yet</source>
            <translation>noch nicht berechnet</translation>
        </message>
        <message>
            <source>removed by the current plan</source>
            <translation>vom aktuellen Plan entfernt</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::ImportancePanel</name>
        <message>
            <source>&amp;Metric:</source>
            <translation>&amp;Kennzahl:</translation>
        </message>
        <message>
            <source>&amp;Log colour scale</source>
            <translation>&amp;Logarithmische Farbskala</translation>
        </message>
        <message>
            <source>Removal losses span decades between layers; a log scale keeps the small ones apart</source>
            <translation>Entfernungsverluste unterscheiden sich zwischen Schichten um Größenordnungen; eine logarithmische Skala hält die kleinen auseinander</translation>
        </message>
        <message>
            <source>Removal loss</source>
            <translation>Entfernungsverlust</translation>
        </message>
        <message>
            <source>Selection frequency</source>
            <translation>Auswahlhäufigkeit</translation>
        </message>
        <message>
            <source>Mean gate weight</source>
            <translation>Mittleres Gate-Gewicht</translation>
        </message>
        <message>
            <source>Softmax mass</source>
            <translation>Softmax-Masse</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::LayerBarChart</name>
        <message>
            <source>MoE layer</source>
            <translation>MoE-Schicht</translation>
        </message>
        <message>
            <source>Importance</source>
            <translation>Wichtigkeit</translation>
        </message>
        <message>
            <source>Experts to prune (P)</source>
            <translation>Zu entfernende Experten (P)</translation>
        </message>
        <message>
            <source>layer importance (sum of expert removal losses)</source>
            <translation>Schichtwichtigkeit (Summe der Entfernungsverluste)</translation>
        </message>
        <message>
            <source>experts to prune (right axis)</source>
            <translation>zu entfernende Experten (rechte Achse)</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::PruningCountTable</name>
        <message>
            <source>Layer</source>
            <translation>Schicht</translation>
        </message>
        <message>
            <source>Experts (top-k)</source>
            <translation>Experten (Top-k)</translation>
        </message>
        <message>
            <source>Allocated</source>
            <translation>Zugeteilt</translation>
        </message>
        <message>
            <source>Prune</source>
            <translation>Entfernen</translation>
        </message>
        <message>
            <source>P_l from the pruning ratio and the layer importance</source>
            <translation>P_l aus Pruning-Anteil und Schichtwichtigkeit</translation>
        </message>
        <message>
            <source>Experts this layer loses; type a number to fix it by hand (an override)</source>
            <translation>Experten, die diese Schicht verliert; eine Zahl eingeben, um sie von Hand festzulegen</translation>
        </message>
        <message>
            <source>%1 (top-%2)</source>
            <translation>%1 (Top-%2)</translation>
        </message>
        <message>
            <source>Leaves %1 experts, fewer than top-%2: at most %3 can go</source>
            <translation>Lässt %1 Experten übrig, weniger als Top-%2: höchstens %3 können wegfallen</translation>
        </message>
        <message>
            <source>Fixed by hand (the allocation says %1); Reset returns to the allocation</source>
            <translation>Von Hand festgelegt (die Zuteilung ergibt %1); „Zurücksetzen“ kehrt zur Zuteilung zurück</translation>
        </message>
        <message>
            <source>nothing yet</source>
            <translation>noch nichts</translation>
        </message>
        <message>
            <source>Reset</source>
            <translation>Zurücksetzen</translation>
        </message>
        <message>
            <source>Use the allocated count again</source>
            <translation>Wieder die zugeteilte Anzahl verwenden</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::RankEditor</name>
        <message>
            <source>Layer</source>
            <translation>Schicht</translation>
        </message>
        <message>
            <source>Expert</source>
            <translation>Experte</translation>
        </message>
        <message>
            <source>Allocated</source>
            <translation>Zugeteilt</translation>
        </message>
        <message>
            <source>Rank</source>
            <translation>Rang</translation>
        </message>
        <message>
            <source>Parameters</source>
            <translation>Parameter</translation>
        </message>
        <message>
            <source>Rank of the expert's three matrices; type a number to fix it by hand (an override)</source>
            <translation>Rang der drei Matrizen des Experten; eine Zahl eingeben, um ihn von Hand festzulegen</translation>
        </message>
        <message>
            <source>MoE layer</source>
            <translation>MoE-Schicht</translation>
        </message>
        <message>
            <source>No low-rank plan in this session yet.</source>
            <translation>Diese Sitzung enthält noch keinen Niedrigrang-Plan.</translation>
        </message>
        <message>
            <source>Plan %1.</source>
            <translation>Plan %1.</translation>
        </message>
        <message>
            <source>layer %1</source>
            <translation>Schicht %1</translation>
        </message>
        <message>
            <source>At or above break-even: rank %1 stores %2 parameters per matrix, the dense matrix %3; it stays dense</source>
            <translation>Auf oder über der Gewinnschwelle: Rang %1 speichert %2 Parameter je Matrix, die dichte Matrix %3; sie bleibt dicht</translation>
        </message>
        <message>
            <source>Reset</source>
            <translation>Zurücksetzen</translation>
        </message>
        <message>
            <source>dense</source>
            <translation>dicht</translation>
        </message>
        <message>
            <source>as planned</source>
            <translation>laut Plan</translation>
        </message>
        <message>
            <source>Parameters (M)</source>
            <translation>Parameter (Mio.)</translation>
        </message>
        <message>
            <source>Routed experts: %1 dense, %2 as planned (%3% removed by factorisation); ranks fixed by hand: %4.</source>
            <translation>Geroutete Experten: %1 dicht, %2 laut Plan (%3 % durch Faktorisierung entfernt); von Hand festgelegte Ränge: %4.</translation>
        </message>
        <message>
            <source>Plan:</source>
            <translation>Plan:</translation>
        </message>
        <message>
            <source>The session's plans that factor experts; the one Decompose made last comes first</source>
            <translation>Die Pläne der Sitzung, die Experten faktorisieren; zuerst der zuletzt von „Zerlegen“ erzeugte</translation>
        </message>
    </context>
    <context>
        <name>MethodChecks</name>
        <message>
            <source>Keep per layer is %1, but layer %2 has only %3 experts.</source>
            <translation>Je Schicht behalten ist %1, aber Schicht %2 hat nur %3 Experten.</translation>
        </message>
        <message>
            <source>Keeping %1 experts leaves layer %2 fewer than the %3 each token is routed to (top-k).</source>
            <translation>%1 Experten zu behalten lässt Schicht %2 weniger als die %3, an die jedes Token geroutet wird (Top-k).</translation>
        </message>
        <message>
            <source>Dropping %1 of %2 experts: at most %3 can go while every layer keeps top-k.</source>
            <translation>%1 von %2 Experten entfernen: höchstens %3 können gehen, wenn jede Schicht Top-k behält.</translation>
        </message>
        <message>
            <source>Layer %1: dropping %2 of %3 experts leaves fewer than the %4 each token is routed to (top-k).</source>
            <translation>Schicht %1: %2 von %3 Experten zu entfernen lässt weniger als die %4, an die jedes Token geroutet wird (Top-k).</translation>
        </message>
        <message>
            <source>Layer Drop removes MoE sublayers: the model has %1, so Drop N can be at most %1.</source>
            <translation>Layer Drop entfernt MoE-Unterschichten: das Modell hat %1, also darf N höchstens %1 sein.</translation>
        </message>
        <message>
            <source>Block Drop keeps at least one of the %1 decoder blocks: Drop N can be at most %2.</source>
            <translation>Block Drop behält mindestens einen der %1 Decoder-Blöcke: N darf höchstens %2 sein.</translation>
        </message>
        <message>
            <source>Pattern '%1': write unstructured or N:M with 0 &lt; N &lt; M (e.g. 2:4).</source>
            <translation>Muster „%1“: unstructured oder N:M mit 0 &lt; N &lt; M schreiben (z. B. 2:4).</translation>
        </message>
        <message>
            <source>Sparsity 0 prunes nothing.</source>
            <translation>Sparsität 0 beschneidet nichts.</translation>
        </message>
        <message>
            <source>The model has %1 MoE layers; at most %1 can be condensed.</source>
            <translation>Das Modell hat %1 MoE-Schichten; höchstens %1 können verdichtet werden.</translation>
        </message>
        <message>
            <source>A condensed layer keeps at most its %1 experts.</source>
            <translation>Eine verdichtete Schicht behält höchstens ihre %1 Experten.</translation>
        </message>
        <message>
            <source>The model has no MoE layers.</source>
            <translation>Das Modell hat keine MoE-Schichten.</translation>
        </message>
        <message>
            <source>The plan name is that of the plan this method runs after; choose another name.</source>
            <translation>Der Planname ist der des Plans, nach dem diese Methode läuft; wählen Sie einen anderen Namen.</translation>
        </message>
        <message>
            <source>The learning rate must be above 0.</source>
            <translation>Die Lernrate muss größer als 0 sein.</translation>
        </message>
        <message>
            <source>The training text %1 does not exist.</source>
            <translation>Der Trainingstext %1 existiert nicht.</translation>
        </message>
        <message>
            <source>Candidate layers &apos;%1&apos;: write layer numbers separated by commas, ranges as first-last (e.g. 3,4,5 or 3-5), or leave it empty for all MoE layers.</source>
            <translation>Kandidatenschichten &apos;%1&apos;: Schichtnummern durch Kommas getrennt schreiben, Bereiche als erste-letzte (z. B. 3,4,5 oder 3-5), oder leer lassen für alle MoE-Schichten.</translation>
        </message>
        <message>
            <source>Candidate layer %1 is not a MoE layer of the model.</source>
            <translation>Kandidatenschicht %1 ist keine MoE-Schicht des Modells.</translation>
        </message>
        <message>
            <source>%1 candidate layers: at most %1 can be condensed.</source>
            <translation>%1 Kandidatenschichten: höchstens %1 können verdichtet werden.</translation>
        </message>
        <message>
            <source>Set the parameter target: the most parameters the condensed model may hold.</source>
            <translation>Parameterziel festlegen: die Höchstzahl an Parametern, die das verdichtete Modell haben darf.</translation>
        </message>
        <message>
            <source>Condensing all %1 candidate layers leaves %2 parameters, above the target %3.</source>
            <translation>Alle %1 Kandidatenschichten zu verdichten lässt %2 Parameter übrig, mehr als das Ziel %3.</translation>
        </message>
        <message>
            <source>The model already holds at most %1 parameters; one layer is condensed anyway.</source>
            <translation>Das Modell hat bereits höchstens %1 Parameter; eine Schicht wird trotzdem verdichtet.</translation>
        </message>
        <message>
            <source>A plan name cannot be only spaces.</source>
            <translation>Ein Planname darf nicht nur aus Leerzeichen bestehen.</translation>
        </message>
        <message>
            <source>Plan name &apos;%1&apos; starts or ends with a space.</source>
            <translation>Planname „%1“ beginnt oder endet mit einem Leerzeichen.</translation>
        </message>
        <message>
            <source>A plan name cannot hold tabs, line breaks or other control characters.</source>
            <translation>Ein Planname darf keine Tabulatoren, Zeilenumbrüche oder anderen Steuerzeichen enthalten.</translation>
        </message>
        <message>
            <source>A plan name is at most %1 bytes long (UTF-8).</source>
            <translation>Ein Planname ist höchstens %1 Byte lang (UTF-8).</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::MethodForm</name>
        <message>
            <source>Expert Drop</source>
            <translation>Expertenentfernung (Expert Drop)</translation>
        </message>
        <message>
            <source>Layerwise (same count per layer)</source>
            <translation>Schichtweise (gleiche Anzahl je Schicht)</translation>
        </message>
        <message>
            <source>Global (lowest scores overall)</source>
            <translation>Global (niedrigste Werte insgesamt)</translation>
        </message>
        <message>
            <source>Mode:</source>
            <translation>Modus:</translation>
        </message>
        <message>
            <source>Fraction of routed experts dropped (used when Keep per layer is 0)</source>
            <translation>Anteil entfernter gerouteter Experten (wenn „Je Schicht behalten“ 0 ist)</translation>
        </message>
        <message>
            <source>Drop ratio:</source>
            <translation>Entfernungsanteil:</translation>
        </message>
        <message>
            <source>off (use the ratio)</source>
            <translation>aus (Anteil verwenden)</translation>
        </message>
        <message>
            <source>Experts kept per layer (global: on average) instead of the ratio</source>
            <translation>Behaltene Experten je Schicht (global: im Mittel) statt des Anteils</translation>
        </message>
        <message>
            <source>Keep per layer:</source>
            <translation>Je Schicht behalten:</translation>
        </message>
        <message>
            <source>Layer / Block Drop</source>
            <translation>Schicht- / Blockentfernung</translation>
        </message>
        <message>
            <source>MoE sublayers (Layer Drop) or decoder blocks (Block Drop) removed</source>
            <translation>Entfernte MoE-Unterschichten (Layer Drop) oder Decoder-Blöcke (Block Drop)</translation>
        </message>
        <message>
            <source>Drop N:</source>
            <translation>Anzahl N entfernen:</translation>
        </message>
        <message>
            <source>Discrete (the most similar blocks)</source>
            <translation>Einzeln (die ähnlichsten Blöcke)</translation>
        </message>
        <message>
            <source>Consecutive (the most similar run)</source>
            <translation>Zusammenhängend (die ähnlichste Folge)</translation>
        </message>
        <message>
            <source>Block mode:</source>
            <translation>Blockmodus:</translation>
        </message>
        <message>
            <source>Expert slimming</source>
            <translation>Experten-Ausdünnung</translation>
        </message>
        <message>
            <source>Fraction of each expert matrix pruned (unstructured)</source>
            <translation>Anteil jeder Expertenmatrix, der beschnitten wird (unstrukturiert)</translation>
        </message>
        <message>
            <source>Sparsity:</source>
            <translation>Sparsität:</translation>
        </message>
        <message>
            <source>unstructured</source>
            <translation>unstrukturiert</translation>
        </message>
        <message>
            <source>Unstructured, or N:M (N weights pruned in every M input columns)</source>
            <translation>Unstrukturiert oder N:M (N Gewichte in je M Eingabespalten beschnitten)</translation>
        </message>
        <message>
            <source>Pattern:</source>
            <translation>Muster:</translation>
        </message>
        <message>
            <source>CD-MoE condensing</source>
            <translation>CD-MoE-Verdichtung</translation>
        </message>
        <message>
            <source>MoE layers condensed (chosen greedily)</source>
            <translation>Verdichtete MoE-Schichten (gierig gewählt)</translation>
        </message>
        <message>
            <source>Layers:</source>
            <translation>Schichten:</translation>
        </message>
        <message>
            <source>Routed experts kept per condensed layer (k_c; 0: shared experts only)</source>
            <translation>Behaltene geroutete Experten je verdichteter Schicht (k_c; 0: nur geteilte Experten)</translation>
        </message>
        <message>
            <source>Experts kept:</source>
            <translation>Behaltene Experten:</translation>
        </message>
        <message>
            <source>JS divergence of hidden states</source>
            <translation>JS-Divergenz der versteckten Zustände</translation>
        </message>
        <message>
            <source>KL of next-token distributions</source>
            <translation>KL der Nächstes-Token-Verteilungen</translation>
        </message>
        <message>
            <source>Metric:</source>
            <translation>Maß:</translation>
        </message>
        <message>
            <source>none</source>
            <translation>keine</translation>
        </message>
        <message>
            <source>Fine-tuning steps of the condensed layers' kept and shared experts (0: none); the plan before it is kept as '&lt;plan&gt;-no-finetune'</source>
            <translation>Feinabstimmungsschritte der behaltenen und geteilten Experten der verdichteten Schichten (0: keine); der Plan davor bleibt als '&lt;plan&gt;-no-finetune' erhalten</translation>
        </message>
        <message>
            <source>Fine-tuning steps:</source>
            <translation>Feinabstimmungsschritte:</translation>
        </message>
        <message>
            <source>Peak learning rate (AdamW; linear warm-up, then linear decay)</source>
            <translation>Spitzen-Lernrate (AdamW; lineares Aufwärmen, dann linearer Abfall)</translation>
        </message>
        <message>
            <source>Learning rate:</source>
            <translation>Lernrate:</translation>
        </message>
        <message>
            <source>the calibration text</source>
            <translation>der Kalibriertext</translation>
        </message>
        <message>
            <source>Training text</source>
            <translation>Trainingstext</translation>
        </message>
        <message>
            <source>Text (*.txt *.jsonl);;All files (*)</source>
            <translation>Text (*.txt *.jsonl);;Alle Dateien (*)</translation>
        </message>
        <message>
            <source>Training text:</source>
            <translation>Trainingstext:</translation>
        </message>
        <message>
            <source>Auto (gate weights for DeepSeek, else softmax)</source>
            <translation>Automatisch (Gate-Gewichte für DeepSeek, sonst Softmax)</translation>
        </message>
        <message>
            <source>Softmax mass (full router softmax)</source>
            <translation>Softmax-Masse (volle Router-Softmax)</translation>
        </message>
        <message>
            <source>Gate weights (scattered top-k weights)</source>
            <translation>Gate-Gewichte (verteilte Top-k-Gewichte)</translation>
        </message>
        <message>
            <source>What ranks the experts: the mean full-softmax routing probability, or the top-k combine weights (selection frequency x mean gate weight)</source>
            <translation>Was die Experten ordnet: die mittlere Routing-Wahrscheinlichkeit der vollen Softmax oder die Top-k-Kombinationsgewichte (Auswahlhäufigkeit x mittleres Gate-Gewicht)</translation>
        </message>
        <message>
            <source>Score:</source>
            <translation>Bewertung:</translation>
        </message>
        <message>
            <source>all layers</source>
            <translation>alle Schichten</translation>
        </message>
        <message>
            <source>Longest run of blocks whose similarity the pass measures and caches (0: all); bounds the hidden states kept in memory. Consecutive Block Drop measures at least Drop N. Scores already in the session are reused.</source>
            <translation>Längste Folge von Blöcken, deren Ähnlichkeit der Durchlauf misst und zwischenspeichert (0: alle); begrenzt die im Speicher gehaltenen Hidden States. Zusammenhängendes Block Drop misst mindestens Drop N. Bereits in der Sitzung vorhandene Werte werden wiederverwendet.</translation>
        </message>
        <message>
            <source>Max span:</source>
            <translation>Max. Spanne:</translation>
        </message>
        <message>
            <source>Also prune the shared experts</source>
            <translation>Auch die geteilten Experten beschneiden</translation>
        </message>
        <message>
            <source>Prune the shared expert MLP too (on every token), not only the routed experts</source>
            <translation>Auch das MLP der geteilten Experten beschneiden (auf jedem Token), nicht nur die gerouteten Experten</translation>
        </message>
        <message>
            <source>SparseGPT: columns per lazy batch of the OBS updates</source>
            <translation>SparseGPT: Spalten je verzögertem Stapel der OBS-Updates</translation>
        </message>
        <message>
            <source>Block size:</source>
            <translation>Blockgröße:</translation>
        </message>
        <message>
            <source>SparseGPT: dampening of the Hessian, H += damping x mean(diag H) x I</source>
            <translation>SparseGPT: Dämpfung der Hesse-Matrix, H += Dämpfung x mean(diag H) x I</translation>
        </message>
        <message>
            <source>Damping:</source>
            <translation>Dämpfung:</translation>
        </message>
        <message>
            <source>all MoE layers</source>
            <translation>alle MoE-Schichten</translation>
        </message>
        <message>
            <source>MoE decoder layers that may be condensed, e.g. 3,4,5 or 3-5 (empty: all)</source>
            <translation>MoE-Decoderschichten, die verdichtet werden dürfen, z. B. 3,4,5 oder 3-5 (leer: alle)</translation>
        </message>
        <message>
            <source>Candidate layers:</source>
            <translation>Kandidatenschichten:</translation>
        </message>
        <message>
            <source>Composition</source>
            <translation>Komposition</translation>
        </message>
        <message>
            <source>A plan of the session applied first: the method runs on that compressed model and the new plan holds its steps followed by the method&apos;s</source>
            <translation>Ein Plan der Sitzung, der zuerst angewendet wird: Die Methode läuft auf diesem komprimierten Modell, und der neue Plan enthält dessen Schritte, gefolgt von denen der Methode</translation>
        </message>
        <message>
            <source>Run after plan:</source>
            <translation>Nach Plan ausführen:</translation>
        </message>
        <message>
            <source>none (the original model)</source>
            <translation>keiner (das ursprüngliche Modell)</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>Ergebnis</translation>
        </message>
        <message>
            <source>Name of the plan stored in the session (empty: the name shown, the method&apos;s default); a plan of the same name is replaced</source>
            <translation>Name des in der Sitzung gespeicherten Plans (leer: der angezeigte Name, der Standard der Methode); ein Plan gleichen Namens wird ersetzt</translation>
        </message>
        <message>
            <source>Plan name:</source>
            <translation>Planname:</translation>
        </message>
        <message>
            <source>Layer count</source>
            <translation>Schichtanzahl</translation>
        </message>
        <message>
            <source>Parameter target</source>
            <translation>Parameterziel</translation>
        </message>
        <message>
            <source>Condense a fixed number of layers, or condense layers (in the greedy order) until the model holds at most the target&apos;s parameters (--target-params)</source>
            <translation>Eine feste Anzahl Schichten verdichten, oder Schichten (in der gierigen Reihenfolge) verdichten, bis das Modell höchstens so viele Parameter wie das Ziel hat (--target-params)</translation>
        </message>
        <message>
            <source>Condense:</source>
            <translation>Verdichten:</translation>
        </message>
        <message>
            <source>not set</source>
            <translation>nicht festgelegt</translation>
        </message>
        <message>
            <source>Parameters the condensed model may hold at most, counted as the plan&apos;s parameter accounting counts them; at least what condensing every candidate layer leaves</source>
            <translation>Höchstzahl an Parametern des verdichteten Modells, gezählt wie die Parameterabrechnung des Plans; mindestens so viele, wie nach dem Verdichten aller Kandidatenschichten bleiben</translation>
        </message>
        <message>
            <source>Parameter target:</source>
            <translation>Parameterziel:</translation>
        </message>
        <message>
            <source>Sequences of the calibration length a fine-tuning step trains on</source>
            <translation>Sequenzen der Kalibrierlänge, auf denen ein Feinabstimmungsschritt trainiert</translation>
        </message>
        <message>
            <source>Batch:</source>
            <translation>Batchgröße:</translation>
        </message>
        <message>
            <source>Steps of linear warm-up to the learning rate, then linear decay to 0</source>
            <translation>Schritte des linearen Aufwärmens bis zur Lernrate, danach linearer Abfall auf 0</translation>
        </message>
        <message>
            <source>Warm-up steps:</source>
            <translation>Aufwärmschritte:</translation>
        </message>
        <message>
            <source>AdamW weight decay of the trained experts (0: none)</source>
            <translation>AdamW-Gewichtsabnahme der trainierten Experten (0: keine)</translation>
        </message>
        <message>
            <source>Weight decay:</source>
            <translation>Gewichtsabnahme:</translation>
        </message>
        <message>
            <source>Fine-tune the shared experts</source>
            <translation>Geteilte Experten feinabstimmen</translation>
        </message>
        <message>
            <source>Train the condensed layers&apos; shared experts too; off: only the kept routed experts (--finetune-no-shared)</source>
            <translation>Auch die geteilten Experten der verdichteten Schichten trainieren; aus: nur die behaltenen gerouteten Experten (--finetune-no-shared)</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::RecoverPanel</name>
        <message>
            <source>LoRA recovery fine-tuning</source>
            <translation>LoRA-Erholungs-Feinabstimmung</translation>
        </message>
        <message>
            <source>Plan:</source>
            <translation>Plan:</translation>
        </message>
        <message>
            <source>Text (*.txt *.jsonl);;All files (*)</source>
            <translation>Text (*.txt *.jsonl);;Alle Dateien (*)</translation>
        </message>
        <message>
            <source>Training text:</source>
            <translation>Trainingstext:</translation>
        </message>
        <message>
            <source>demo calibration text</source>
            <translation>Demo-Kalibriertext</translation>
        </message>
        <message>
            <source>Training text</source>
            <translation>Trainingstext</translation>
        </message>
        <message>
            <source>Held-out text:</source>
            <translation>Held-out-Text:</translation>
        </message>
        <message>
            <source>demo evaluation text</source>
            <translation>Demo-Bewertungstext</translation>
        </message>
        <message>
            <source>Held-out text</source>
            <translation>Held-out-Text</translation>
        </message>
        <message>
            <source>Steps:</source>
            <translation>Schritte:</translation>
        </message>
        <message>
            <source>Peak learning rate (AdamW; linear warm-up, then linear decay)</source>
            <translation>Spitzen-Lernrate (AdamW; lineares Aufwärmen, dann linearer Abfall)</translation>
        </message>
        <message>
            <source>Learning rate:</source>
            <translation>Lernrate:</translation>
        </message>
        <message>
            <source>LoRA rank:</source>
            <translation>LoRA-Rang:</translation>
        </message>
        <message>
            <source>Adapter scale alpha / rank</source>
            <translation>Adapter-Skalierung Alpha / Rang</translation>
        </message>
        <message>
            <source>LoRA alpha:</source>
            <translation>LoRA-Alpha:</translation>
        </message>
        <message>
            <source>Language modelling</source>
            <translation>Sprachmodellierung</translation>
        </message>
        <message>
            <source>Distillation from the original</source>
            <translation>Destillation vom Original</translation>
        </message>
        <message>
            <source>Language modelling: next-token cross-entropy on the training text. Distillation: the plan's model learns the original model's next-token distributions (KL divergence); it recovers more, and keeps a second copy of the model in memory</source>
            <translation>Sprachmodellierung: Kreuzentropie des nächsten Tokens auf dem Trainingstext. Destillation: das Modell des Plans lernt die Verteilungen des nächsten Tokens des Originalmodells (KL-Divergenz); das stellt mehr wieder her und hält eine zweite Kopie des Modells im Speicher</translation>
        </message>
        <message>
            <source>Objective:</source>
            <translation>Zielfunktion:</translation>
        </message>
        <message>
            <source>Distillation temperature T: both distributions are softened by T and the KL is scaled by T²</source>
            <translation>Destillationstemperatur T: beide Verteilungen werden durch T abgeflacht, und die KL wird mit T² skaliert</translation>
        </message>
        <message>
            <source>Temperature:</source>
            <translation>Temperatur:</translation>
        </message>
        <message>
            <source>Distillation weight A: the loss is A · T² KL + (1 − A) · cross-entropy (1: pure distillation)</source>
            <translation>Destillationsgewicht A: der Verlust ist A · T² KL + (1 − A) · Kreuzentropie (1: reine Destillation)</translation>
        </message>
        <message>
            <source>Distillation weight:</source>
            <translation>Destillationsgewicht:</translation>
        </message>
        <message>
            <source>Recover</source>
            <translation>Wiederherstellen</translation>
        </message>
        <message>
            <source>Fine-tune LoRA adapters on the plan's model; the result is the plan '&lt;plan&gt;-lora'</source>
            <translation>LoRA-Adapter auf dem Modell des Plans feinabstimmen; das Ergebnis ist der Plan „&lt;Plan&gt;-lora“</translation>
        </message>
        <message>
            <source>Adapters on the modules chosen under Advanced (attention, experts and shared experts by default); the adapters of the best held-out evaluation are kept (lowest perplexity, or for distillation the lowest distillation loss). Cancel with Esc.</source>
            <translation>Adapter auf den unter „Erweitert“ gewählten Modulen (standardmäßig Attention, Experten und geteilte Experten); die Adapter der besten Held-out-Auswertung werden behalten (niedrigste Perplexität, bei Destillation niedrigster Destillationsverlust). Abbrechen mit Esc.</translation>
        </message>
        <message>
            <source>The session has no plan yet: run a method first.</source>
            <translation>Die Sitzung hat noch keinen Plan: zuerst eine Methode ausführen.</translation>
        </message>
        <message>
            <source>The learning rate must be above 0.</source>
            <translation>Die Lernrate muss größer als 0 sein.</translation>
        </message>
        <message>
            <source>LoRA alpha must be above 0.</source>
            <translation>LoRA-Alpha muss größer als 0 sein.</translation>
        </message>
        <message>
            <source>Unknown objective '%1' (lm or distill).</source>
            <translation>Unbekannte Zielfunktion „%1“ (lm oder distill).</translation>
        </message>
        <message>
            <source>The distillation temperature must be above 0.</source>
            <translation>Die Destillationstemperatur muss größer als 0 sein.</translation>
        </message>
        <message>
            <source>The distillation weight must be between 0 and 1.</source>
            <translation>Das Destillationsgewicht muss zwischen 0 und 1 liegen.</translation>
        </message>
        <message>
            <source>Plain text, JSONL with a &quot;text&quot; field, or JSONL instruction pairs ({&quot;prompt&quot;, &quot;response&quot;} or {&quot;instruction&quot;, &quot;input&quot;, &quot;output&quot;} a line: the loss is taken on the responses), as moe-compress finetune --train</source>
            <translation>Klartext, JSONL mit einem Feld &quot;text&quot; oder JSONL-Instruktionspaare ({&quot;prompt&quot;, &quot;response&quot;} oder {&quot;instruction&quot;, &quot;input&quot;, &quot;output&quot;} je Zeile: der Verlust wird auf den Antworten berechnet), wie bei moe-compress finetune --train</translation>
        </message>
        <message>
            <source>Advanced</source>
            <translation>Erweitert</translation>
        </message>
        <message>
            <source>Advanced: batch, evaluation interval and held-out windows must be at least 1, sequence length at least 2, warm-up (unless Auto) and patience 0 or more.</source>
            <translation>Erweitert: Batch, Bewertungsintervall und Held-out-Fenster müssen mindestens 1 sein, die Sequenzlänge mindestens 2, Aufwärmen (außer Automatisch) und Geduld 0 oder mehr.</translation>
        </message>
        <message>
            <source>Batch, sequence length, accumulation, held-out evaluation, warm-up, early stopping, weight decay, dropout, adapter modules, seed, result name and checkpoints</source>
            <translation>Batch, Sequenzlänge, Akkumulation, Held-out-Bewertung, Aufwärmen, vorzeitiges Beenden, Weight Decay, Dropout, Adapter-Module, Seed, Ergebnisname und Checkpoints</translation>
        </message>
        <message>
            <source>Advanced: accumulation must be at least 1, weight decay and checkpoint interval 0 or more, LoRA dropout between 0 and 0.9.</source>
            <translation>Erweitert: Die Akkumulation muss mindestens 1 sein, Weight Decay und Checkpoint-Intervall 0 oder mehr, LoRA-Dropout zwischen 0 und 0,9.</translation>
        </message>
        <message>
            <source>Adapters on: %1</source>
            <translation>Adapter auf: %1</translation>
        </message>
        <message>
            <source>Result plan: %1</source>
            <translation>Ergebnisplan: %1</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::RecoverAdvanced</name>
        <message>
            <source> evaluations</source>
            <translation> Bewertungen</translation>
        </message>
        <message>
            <source> sequences</source>
            <translation> Sequenzen</translation>
        </message>
        <message>
            <source> steps</source>
            <translation> Schritte</translation>
        </message>
        <message>
            <source> tokens</source>
            <translation> Token</translation>
        </message>
        <message>
            <source>Auto</source>
            <translation>Automatisch</translation>
        </message>
        <message>
            <source>Batch:</source>
            <translation>Batchgröße:</translation>
        </message>
        <message>
            <source>Evaluate every:</source>
            <translation>Bewerten alle:</translation>
        </message>
        <message>
            <source>Held-out evaluations without a new best before training stops early (--patience); the best adapters are kept either way. Never: train all steps</source>
            <translation>Held-out-Bewertungen ohne neues Bestes, bevor das Training vorzeitig endet (--patience); die besten Adapter werden in jedem Fall behalten. Nie: alle Schritte trainieren</translation>
        </message>
        <message>
            <source>Held-out windows:</source>
            <translation>Held-out-Fenster:</translation>
        </message>
        <message>
            <source>Never stop early</source>
            <translation>Nie vorzeitig beenden</translation>
        </message>
        <message>
            <source>Patience:</source>
            <translation>Geduld:</translation>
        </message>
        <message>
            <source>Sequence length:</source>
            <translation>Sequenzlänge:</translation>
        </message>
        <message>
            <source>Sequences per training step (--batch): more gives a smoother loss and takes longer</source>
            <translation>Sequenzen pro Trainingsschritt (--batch): mehr ergibt einen glatteren Verlust und dauert länger</translation>
        </message>
        <message>
            <source>Steps between held-out evaluations (--eval-every); the last step is always evaluated, and before training at step 0</source>
            <translation>Schritte zwischen Held-out-Bewertungen (--eval-every); der letzte Schritt wird immer bewertet, ebenso vor dem Training bei Schritt 0</translation>
        </message>
        <message>
            <source>Steps of linear learning-rate warm-up, then linear decay to 0 at the last step (--warmup). Auto: a tenth of the steps, at most 10</source>
            <translation>Schritte des linearen Aufwärmens der Lernrate, danach linearer Abfall auf 0 beim letzten Schritt (--warmup). Automatisch: ein Zehntel der Schritte, höchstens 10</translation>
        </message>
        <message>
            <source>Tokens per training sequence and per held-out window (--seq-len); at most the model&apos;s context length minus 1. Instruction pairs are cut to it</source>
            <translation>Token pro Trainingssequenz und pro Held-out-Fenster (--seq-len); höchstens die Kontextlänge des Modells minus 1. Instruktionspaare werden darauf gekürzt</translation>
        </message>
        <message>
            <source>Warm-up:</source>
            <translation>Aufwärmen:</translation>
        </message>
        <message>
            <source>Windows of the held-out text, one sequence long each, that every evaluation measures (--eval-blocks); fewer when the text is shorter</source>
            <translation>Fenster des Held-out-Textes, je eine Sequenz lang, die jede Bewertung misst (--eval-blocks); weniger, wenn der Text kürzer ist</translation>
        </message>
        <message>
            <source>Accumulation:</source>
            <translation>Akkumulation:</translation>
        </message>
        <message>
            <source>Micro-batches of Batch sequences whose gradients add up to one step (--accumulation): a step sees Batch × Accumulation sequences in the memory of one batch</source>
            <translation>Mikro-Batches aus je Batch Sequenzen, deren Gradienten sich zu einem Schritt summieren (--accumulation): Ein Schritt sieht Batch × Akkumulation Sequenzen im Speicher eines Batches</translation>
        </message>
        <message>
            <source> batches</source>
            <translation> Batches</translation>
        </message>
        <message>
            <source>Weight decay:</source>
            <translation>Weight Decay:</translation>
        </message>
        <message>
            <source>AdamW&apos;s decoupled weight decay on the adapters (--weight-decay); 0: none</source>
            <translation>Entkoppelter Weight Decay von AdamW auf den Adaptern (--weight-decay); 0: keiner</translation>
        </message>
        <message>
            <source>LoRA dropout:</source>
            <translation>LoRA-Dropout:</translation>
        </message>
        <message>
            <source>Dropout on the adapters&apos; inputs while training (--dropout), 0 to 0.9</source>
            <translation>Dropout auf den Eingaben der Adapter während des Trainings (--dropout), 0 bis 0,9</translation>
        </message>
        <message>
            <source>Attention</source>
            <translation>Attention</translation>
        </message>
        <message>
            <source>Experts</source>
            <translation>Experten</translation>
        </message>
        <message>
            <source>Shared</source>
            <translation>Geteilte</translation>
        </message>
        <message>
            <source>Dense</source>
            <translation>Dichte</translation>
        </message>
        <message>
            <source>The modules that get adapters (--targets): attention projections, routed experts (factored ones get one adapter per factor), shared experts, dense MLPs; at least one</source>
            <translation>Die Module, die Adapter erhalten (--targets): Attention-Projektionen, geroutete Experten (faktorisierte erhalten einen Adapter pro Faktor), geteilte Experten, dichte MLPs; mindestens eines</translation>
        </message>
        <message>
            <source>Adapters on:</source>
            <translation>Adapter auf:</translation>
        </message>
        <message>
            <source>Seed:</source>
            <translation>Seed:</translation>
        </message>
        <message>
            <source>Seed of the adapters&apos; initialisation, the training batches and dropout (--seed): the same seed and settings give the same run</source>
            <translation>Seed für die Initialisierung der Adapter, die Trainings-Batches und Dropout (--seed): Gleicher Seed und gleiche Einstellungen ergeben denselben Lauf</translation>
        </message>
        <message>
            <source>Name of the plan the adapters are stored as (--plan-name); empty: the plan&apos;s name + &quot;-lora&quot;. A plan that is not a LoRA recovery is never overwritten</source>
            <translation>Name des Plans, als der die Adapter gespeichert werden (--plan-name); leer: der Name des Plans + „-lora“. Ein Plan, der keine LoRA-Erholung ist, wird nie überschrieben</translation>
        </message>
        <message>
            <source>Result plan:</source>
            <translation>Ergebnisplan:</translation>
        </message>
        <message>
            <source>Checkpoint every:</source>
            <translation>Checkpoint alle:</translation>
        </message>
        <message>
            <source>Steps between checkpoints of the run (--checkpoint-every) to the file beside the session that moe-compress finetune uses by default; with checkpoints on, a cancelled or finished run also writes one. Off: no checkpoint</source>
            <translation>Schritte zwischen Checkpoints des Laufs (--checkpoint-every) in die Datei neben der Sitzung, die moe-compress finetune standardmäßig verwendet; mit Checkpoints schreibt auch ein abgebrochener oder beendeter Lauf einen. Aus: kein Checkpoint</translation>
        </message>
        <message>
            <source>Off</source>
            <translation>Aus</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>Fortsetzen</translation>
        </message>
        <message>
            <source>Continue the run in %1 (written by Recover or moe-compress finetune with checkpoints) instead of starting over (--resume). It continues only with the settings it was written with; other settings are refused</source>
            <translation>Den Lauf in %1 fortsetzen (geschrieben von Wiederherstellen oder moe-compress finetune mit Checkpoints), statt neu zu beginnen (--resume). Er wird nur mit den Einstellungen fortgesetzt, mit denen er geschrieben wurde; andere Einstellungen werden abgelehnt</translation>
        </message>
        <message>
            <source>No checkpoint: choose a plan (the checkpoint sits beside the session file)</source>
            <translation>Kein Checkpoint: einen Plan wählen (der Checkpoint liegt neben der Sitzungsdatei)</translation>
        </message>
        <message>
            <source>No checkpoint of plan %1 yet (%2): set Checkpoint every and Recover to write one</source>
            <translation>Noch kein Checkpoint von Plan %1 (%2): „Checkpoint alle“ setzen und Wiederherstellen, um einen zu schreiben</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::LossCurve</name>
        <message>
            <source>Step</source>
            <translation>Schritt</translation>
        </message>
        <message>
            <source>Training loss (nats)</source>
            <translation>Trainingsverlust (nats)</translation>
        </message>
        <message>
            <source>Held-out perplexity</source>
            <translation>Held-out-Perplexität</translation>
        </message>
        <message>
            <source>training loss</source>
            <translation>Trainingsverlust</translation>
        </message>
        <message>
            <source>held-out perplexity (right axis)</source>
            <translation>Held-out-Perplexität (rechte Achse)</translation>
        </message>
        <message>
            <source>Run ▸ Recover to see the loss curve</source>
            <translation>Ausführen ▸ Wiederherstellen zeigt die Verlustkurve</translation>
        </message>
        <message>
            <source>kept: step %1</source>
            <translation>behalten: Schritt %1</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::SimilarityChart</name>
        <message>
            <source>Decoder layer</source>
            <translation>Decoder-Schicht</translation>
        </message>
        <message>
            <source>Cosine similarity, input vs output</source>
            <translation>Kosinus-Ähnlichkeit, Eingabe vs. Ausgabe</translation>
        </message>
        <message>
            <source>kept</source>
            <translation>behalten</translation>
        </message>
        <message>
            <source>dropped (most redundant)</source>
            <translation>entfernt (am redundantesten)</translation>
        </message>
        <message>
            <source>Run Layer Drop or Block Drop to see the similarity scores</source>
            <translation>Layer Drop oder Block Drop ausführen, um die Ähnlichkeiten zu sehen</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::ExportDialog</name>
        <message>
            <source>Export compressed model</source>
            <translation>Komprimiertes Modell exportieren</translation>
        </message>
        <message>
            <source>A new or empty folder</source>
            <translation>Ein neuer oder leerer Ordner</translation>
        </message>
        <message>
            <source>&amp;Browse…</source>
            <translation>&amp;Durchsuchen…</translation>
        </message>
        <message>
            <source>Output &amp;folder:</source>
            <translation>Ausgabe&amp;ordner:</translation>
        </message>
        <message>
            <source>&amp;Replace the folder's contents</source>
            <translation>Inhalt des Ordners e&amp;rsetzen</translation>
        </message>
        <message>
            <source>Needed when the folder is not empty; the model's own folder and the session file are never replaced</source>
            <translation>Nötig, wenn der Ordner nicht leer ist; der Ordner des Modells und die Sitzungsdatei werden nie ersetzt</translation>
        </message>
        <message>
            <source>The session's plan to write</source>
            <translation>Der zu schreibende Plan der Sitzung</translation>
        </message>
        <message>
            <source>&amp;Plan:</source>
            <translation>Kompressions&amp;plan:</translation>
        </message>
        <message>
            <source>Automatic (standard when possible)</source>
            <translation>Automatisch (Standard, wenn möglich)</translation>
        </message>
        <message>
            <source>Standard (stock transformers)</source>
            <translation>Standard (unverändertes transformers)</translation>
        </message>
        <message>
            <source>Extended (per-layer structure, smallest)</source>
            <translation>Erweitert (Struktur je Schicht, am kleinsten)</translation>
        </message>
        <message>
            <source>Dense (factors multiplied back, stock loaders)</source>
            <translation>Dicht (Faktoren zurückmultipliziert, Standard-Lader)</translation>
        </message>
        <message>
            <source>&amp;Kind:</source>
            <translation>&amp;Art:</translation>
        </message>
        <message>
            <source>As the source model</source>
            <translation>Wie das Quellmodell</translation>
        </message>
        <message>
            <source>&amp;Data type:</source>
            <translation>Daten&amp;typ:</translation>
        </message>
        <message>
            <source>One file</source>
            <translation>Eine Datei</translation>
        </message>
        <message>
            <source>Largest weights file (1 GB = 10^9 bytes, as transformers counts); 0: one file</source>
            <translation>Größte Gewichtsdatei (1 GB = 10^9 Byte, wie transformers zählt); 0: eine Datei</translation>
        </message>
        <message>
            <source>&amp;Shard size:</source>
            <translation>&amp;Shard-Größe:</translation>
        </message>
        <message>
            <source>&amp;Verify: reload the folder and compare logits before keeping it</source>
            <translation>&amp;Überprüfen: Ordner neu laden und Logits vergleichen, bevor er behalten wird</translation>
        </message>
        <message>
            <source>&lt;b&gt;Deployability report&lt;/b&gt; (worked out before anything is written)</source>
            <translation>&lt;b&gt;Bericht zur Einsetzbarkeit&lt;/b&gt; (ermittelt, bevor etwas geschrieben wird)</translation>
        </message>
        <message>
            <source>&amp;Export</source>
            <translation>&amp;Exportieren</translation>
        </message>
        <message>
            <source>&amp;Cancel export</source>
            <translation>Export a&amp;bbrechen</translation>
        </message>
        <message>
            <source>C&amp;lose</source>
            <translation>Schl&amp;ießen</translation>
        </message>
        <message>
            <source>&lt;i&gt;Preparing the report…&lt;/i&gt;</source>
            <translation>&lt;i&gt;Bericht wird erstellt…&lt;/i&gt;</translation>
        </message>
        <message>
            <source>Folder to write the model into</source>
            <translation>Ordner für das Modell</translation>
        </message>
        <message>
            <source>Cannot export with these choices:</source>
            <translation>Mit dieser Auswahl ist kein Export möglich:</translation>
        </message>
        <message>
            <source>standard</source>
            <translation>Standard</translation>
        </message>
        <message>
            <source>extended</source>
            <translation>erweitert</translation>
        </message>
        <message>
            <source>dense</source>
            <translation>dicht</translation>
        </message>
        <message>
            <source>Plan &lt;b&gt;%1&lt;/b&gt; as the &lt;b&gt;%2&lt;/b&gt; format, %3: %4 tensors in %5 file(s).</source>
            <translation>Plan &lt;b&gt;%1&lt;/b&gt; im Format &lt;b&gt;%2&lt;/b&gt;, %3: %4 Tensoren in %5 Datei(en).</translation>
        </message>
        <message>
            <source>Layers</source>
            <translation>Schichten</translation>
        </message>
        <message>
            <source>%1 of %2</source>
            <translation>%1 von %2</translation>
        </message>
        <message>
            <source>Parameters</source>
            <translation>Parameter</translation>
        </message>
        <message>
            <source>%1 M of %2 M (%3%)</source>
            <translation>%1 M von %2 M (%3 %)</translation>
        </message>
        <message>
            <source>Weights</source>
            <translation>Gewichte</translation>
        </message>
        <message>
            <source>%1 MiB (source %2 MiB)</source>
            <translation>%1 MiB (Quelle %2 MiB)</translation>
        </message>
        <message>
            <source>On disk</source>
            <translation>Auf der Festplatte</translation>
        </message>
        <message>
            <source>about %1 MiB</source>
            <translation>etwa %1 MiB</translation>
        </message>
        <message>
            <source>Loads in:</source>
            <translation>Lädt in:</translation>
        </message>
        <message>
            <source>yes</source>
            <translation>ja</translation>
        </message>
        <message>
            <source>no</source>
            <translation>nein</translation>
        </message>
        <message>
            <source>Not the standard format because:</source>
            <translation>Nicht das Standardformat, weil:</translation>
        </message>
        <message>
            <source>The dense kind (stock loaders, no saving from factors) is also possible.</source>
            <translation>Das dichte Format (Standard-Lader, keine Einsparung durch Faktoren) ist ebenfalls möglich.</translation>
        </message>
        <message>
            <source>The dense kind is not possible:</source>
            <translation>Das dichte Format ist nicht möglich:</translation>
        </message>
        <message>
            <source>Notes:</source>
            <translation>Hinweise:</translation>
        </message>
        <message>
            <source>Export failed; nothing was written.</source>
            <translation>Export fehlgeschlagen; nichts wurde geschrieben.</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>Fertig</translation>
        </message>
        <message>
            <source>Wrote %1 file(s), %2 MiB, in %3 s to %4.</source>
            <translation>%1 Datei(en), %2 MiB, in %3 s nach %4 geschrieben.</translation>
        </message>
        <message>
            <source>%1 tensor(s) rounded to %2.</source>
            <translation>%1 Tensor(en) auf %2 gerundet.</translation>
        </message>
        <message>
            <source>Verified: the reloaded folder reproduces the model's logits on %1 (%2 × %3 tokens): max |difference| %4, tolerance %5; %6 against the model in memory.</source>
            <translation>Geprüft: Der neu geladene Ordner reproduziert die Logits des Modells auf %1 (%2 × %3 Token): max. |Differenz| %4, Toleranz %5; %6 gegenüber dem Modell im Speicher.</translation>
        </message>
        <message>
            <source>Verification FAILED on %1 (%2 × %3 tokens): max |difference| %4, tolerance %5; %6 against the model in memory.</source>
            <translation>Prüfung FEHLGESCHLAGEN auf %1 (%2 × %3 Token): max. |Differenz| %4, Toleranz %5; %6 gegenüber dem Modell im Speicher.</translation>
        </message>
        <message>
            <source>Not verified (the reload check was switched off).</source>
            <translation>Nicht geprüft (die Prüfung durch Neuladen war abgeschaltet).</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Abgebrochen</translation>
        </message>
        <message>
            <source>Cancelled; nothing was written.</source>
            <translation>Abgebrochen; nichts wurde geschrieben.</translation>
        </message>
    </context>
</TS>
