<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>ParameterChecks</name>
        <message>
            <source>K^T = %1^%2 = %3 combinations per block is too many (at most %4): lower K or T.</source>
            <translation>K^T = %1^%2 = %3，每个块的组合数过多（最多 %4）：请减小 K 或 T。</translation>
        </message>
        <message>
            <source>more than 10^18</source>
            <translation>超过 10^18</translation>
        </message>
        <message>
            <source>T = %1 is longer than the model's %2 MoE layers: one block holds them all.</source>
            <translation>T = %1 超过模型的 %2 个 MoE 层：一个块即包含全部层。</translation>
        </message>
        <message>
            <source>Layer %1: a pruning count cannot be negative.</source>
            <translation>第 %1 层：剪枝数量不能为负。</translation>
        </message>
        <message>
            <source>Layer %1: removing %2 of %3 experts leaves %4, fewer than the %5 each token is routed to (top-k); at most %6 can go.</source>
            <translation>第 %1 层：从 %3 个专家中移除 %2 个后只剩 %4 个，少于每个 token 路由到的 %5 个（top-k）；最多可移除 %6 个。</translation>
        </message>
        <message>
            <source>A pruning ratio of %1 removes %2 experts, but at most %3 can go while every layer keeps its top-k.</source>
            <translation>剪枝比例 %1 需移除 %2 个专家，但在每层保留 top-k 个专家的前提下最多只能移除 %3 个。</translation>
        </message>
        <message>
            <source>Layer %1, expert %2: a rank must be at least 1.</source>
            <translation>第 %1 层，专家 %2：秩至少为 1。</translation>
        </message>
        <message>
            <source>Layer %1, expert %2: rank %3 of a %4 × %5 matrix stores %6 parameters, not fewer than the dense %7 (only ranks below %8 save parameters): the matrix stays dense.</source>
            <translation>第 %1 层，专家 %2：%4 × %5 矩阵取秩 %3 需存储 %6 个参数，不少于稠密矩阵的 %7 个（只有低于 %8 的秩才能节省参数）：该矩阵保持稠密。</translation>
        </message>
    </context>
    <context>
        <name>main</name>
        <message>
            <source>Warning: %1</source>
            <translation>警告：%1</translation>
        </message>
        <message>
            <source>Workbench for compressing Mixture-of-Experts models</source>
            <translation>用于压缩混合专家（MoE）模型的工作台</translation>
        </message>
        <message>
            <source>Checkpoint folder to open (default: the Qwen demo model)</source>
            <translation>要打开的检查点文件夹（默认：Qwen 演示模型）</translation>
        </message>
        <message>
            <source>Start Run all (analysis and search) once the model is open</source>
            <translation>模型打开后开始“全部运行”（分析与搜索）</translation>
        </message>
        <message>
            <source>After the run, save PNGs of every view into DIR and quit</source>
            <translation>运行结束后将每个视图保存为 PNG 到 DIR 并退出</translation>
        </message>
        <message>
            <source>Search genetically even where every set can be enumerated</source>
            <translation>即使可以枚举所有组合，也使用遗传搜索</translation>
        </message>
        <message>
            <source>User interface language: en, zh_CN or de (default: Preferences)</source>
            <translation>界面语言：en、zh_CN 或 de（默认：首选项中的设置）</translation>
        </message>
        <message>
            <source>Print the demo folder this executable uses and quit</source>
            <translation>输出此程序使用的演示文件夹并退出</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::MainWindow</name>
        <message>
            <source>MoE Workbench</source>
            <translation>MoE 工作台</translation>
        </message>
        <message>
            <source>Open a checkpoint or a demo model to begin.</source>
            <translation>打开一个检查点或演示模型即可开始。</translation>
        </message>
        <message>
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <source>Parameters</source>
            <translation>参数</translation>
        </message>
        <message>
            <source>Layer importance</source>
            <translation>层重要性</translation>
        </message>
        <message>
            <source>Search convergence</source>
            <translation>搜索收敛</translation>
        </message>
        <message>
            <source>KT blocks</source>
            <translation>KT 块</translation>
        </message>
        <message>
            <source>none</source>
            <translation>无</translation>
        </message>
        <message>
            <source>Session saved to %1</source>
            <translation>会话已保存到 %1</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>完成</translation>
        </message>
        <message>
            <source>Cancelled; the previous results are shown</source>
            <translation>已取消；显示的是之前的结果</translation>
        </message>
        <message>
            <source>layer %1</source>
            <translation>第 %1 层</translation>
        </message>
        <message>
            <source>%1 – MoE Workbench</source>
            <translation>%1 – MoE 工作台</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <source>The job failed.</source>
            <translation>任务失败。</translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>正在取消…</translation>
        </message>
        <message>
            <source>&amp;File</source>
            <translation>文件(&amp;F)</translation>
        </message>
        <message>
            <source>&amp;Open checkpoint…</source>
            <translation>打开检查点(&amp;O)…</translation>
        </message>
        <message>
            <source>Open &amp;demo model</source>
            <translation>打开演示模型(&amp;D)</translation>
        </message>
        <message>
            <source>Qwen1.5-MoE style (shared experts)</source>
            <translation>Qwen1.5-MoE 风格（共享专家）</translation>
        </message>
        <message>
            <source>Mixtral style (8 experts, top-2)</source>
            <translation>Mixtral 风格（8 个专家，top-2）</translation>
        </message>
        <message>
            <source>DeepSeek-V2 style (MLA, shared experts)</source>
            <translation>DeepSeek-V2 风格（MLA，共享专家）</translation>
        </message>
        <message>
            <source>Not found in this installation</source>
            <translation>此安装中未找到</translation>
        </message>
        <message>
            <source>Open &amp;recent</source>
            <translation>最近打开(&amp;R)</translation>
        </message>
        <message>
            <source>Open &amp;session…</source>
            <translation>打开会话(&amp;S)…</translation>
        </message>
        <message>
            <source>&amp;Save session</source>
            <translation>保存会话(&amp;S)</translation>
        </message>
        <message>
            <source>Save session &amp;as…</source>
            <translation>会话另存为(&amp;A)…</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>退出(&amp;Q)</translation>
        </message>
        <message>
            <source>&amp;Edit</source>
            <translation>编辑(&amp;E)</translation>
        </message>
        <message>
            <source>&amp;Preferences…</source>
            <translation>首选项(&amp;P)…</translation>
        </message>
        <message>
            <source>&amp;Run</source>
            <translation>运行(&amp;R)</translation>
        </message>
        <message>
            <source>&amp;Analyze importance</source>
            <translation>分析重要性(&amp;A)</translation>
        </message>
        <message>
            <source>Calibration pass: expert removal losses and routing statistics, layer by layer</source>
            <translation>校准过程：逐层计算专家移除损失和路由统计</translation>
        </message>
        <message>
            <source>&amp;Search</source>
            <translation>搜索(&amp;S)</translation>
        </message>
        <message>
            <source>Genetic search per layer, then the KT block search (reuses the analysis)</source>
            <translation>逐层遗传搜索，然后进行 KT 块搜索（复用分析结果）</translation>
        </message>
        <message>
            <source>Run a&amp;ll</source>
            <translation>全部运行(&amp;L)</translation>
        </message>
        <message>
            <source>&amp;Cancel</source>
            <translation>取消(&amp;C)</translation>
        </message>
        <message>
            <source>&amp;Parameters…</source>
            <translation>参数(&amp;P)…</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>视图(&amp;V)</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>帮助(&amp;H)</translation>
        </message>
        <message>
            <source>&amp;Methods guide</source>
            <translation>方法指南(&amp;M)</translation>
        </message>
        <message>
            <source>&amp;About MoE Workbench</source>
            <translation>关于 MoE 工作台(&amp;A)</translation>
        </message>
        <message>
            <source>Open checkpoint folder (config.json + safetensors)</source>
            <translation>打开检查点文件夹（config.json + safetensors）</translation>
        </message>
        <message>
            <source>Open session</source>
            <translation>打开会话</translation>
        </message>
        <message>
            <source>Sessions (*.h5)</source>
            <translation>会话 (*.h5)</translation>
        </message>
        <message>
            <source>Save session</source>
            <translation>保存会话</translation>
        </message>
        <message>
            <source>The thread count applies from the next start.</source>
            <translation>线程数将在下次启动时生效。</translation>
        </message>
        <message>
            <source>Not started: %1</source>
            <translation>未启动：%1</translation>
        </message>
        <message>
            <source>About MoE Workbench</source>
            <translation>关于 MoE 工作台</translation>
        </message>
        <message>
            <source>&lt;h3&gt;MoE Workbench %1&lt;/h3&gt;&lt;p&gt;Analyse, compress, evaluate and export Mixture-of-Experts language models: MoE-I², expert/layer/block drop and CD-MoE condensing.&lt;/p&gt;</source>
            <translation>&lt;h3&gt;MoE 工作台 %1&lt;/h3&gt;&lt;p&gt;分析、压缩、评估和导出混合专家（MoE）语言模型：MoE-I²、专家/层/块丢弃以及 CD-MoE 凝练。&lt;/p&gt;</translation>
        </message>
        <message>
            <source>Methods guide</source>
            <translation>方法指南</translation>
        </message>
        <message>
            <source>&lt;h3&gt;MoE-I² expert pruning&lt;/h3&gt;</source>
            <translation>&lt;h3&gt;MoE-I² 专家剪枝&lt;/h3&gt;</translation>
        </message>
        <message>
            <source>&lt;p&gt;&lt;b&gt;1. Analyze importance.&lt;/b&gt; Calibration text runs through the model one layer at a time. For every expert the exact change of the MoE block's output when that expert alone is removed is its &lt;i&gt;removal loss&lt;/i&gt;; a layer's importance is the sum over its experts. The heatmap also shows routing statistics: how often an expert is selected, its mean gate weight when selected and its mean softmax mass.&lt;/p&gt;&lt;p&gt;&lt;b&gt;2. Pruning counts.&lt;/b&gt; A global ratio of routed experts is removed; important layers lose fewer (the orange bars in the layer chart).&lt;/p&gt;&lt;p&gt;&lt;b&gt;3. Search.&lt;/b&gt; For each layer a genetic search looks for the set of experts whose removal changes the layer output least; the convergence plot shows the best, mean and worst loss of each generation. Small layers are enumerated exactly instead.&lt;/p&gt;&lt;p&gt;&lt;b&gt;4. KT block search.&lt;/b&gt; Consecutive blocks of T layers try every combination of each layer's K best sets through the real layers and keep the combination with the smallest output change. Removed experts are marked ✕ in the heatmap.&lt;/p&gt;&lt;p&gt;Everything is saved in the session file and can be run the same way with &lt;tt&gt;moe-compress analyze&lt;/tt&gt; and &lt;tt&gt;moe-compress search&lt;/tt&gt;.&lt;/p&gt;</source>
            <translation>&lt;p&gt;&lt;b&gt;1. 分析重要性。&lt;/b&gt;校准文本逐层通过模型。对每个专家，单独移除它时 MoE 块输出的精确变化量就是它的&lt;i&gt;移除损失&lt;/i&gt;；一层的重要性是该层所有专家移除损失之和。热力图还显示路由统计：专家被选中的频率、被选中时的平均门控权重以及平均 softmax 质量。&lt;/p&gt;&lt;p&gt;&lt;b&gt;2. 剪枝数量。&lt;/b&gt;按全局比例移除路由专家；越重要的层移除得越少（层图中的橙色柱）。&lt;/p&gt;&lt;p&gt;&lt;b&gt;3. 搜索。&lt;/b&gt;对每一层，遗传搜索寻找移除后对该层输出影响最小的专家集合；收敛图显示每一代的最佳、平均和最差损失。较小的层则直接精确枚举。&lt;/p&gt;&lt;p&gt;&lt;b&gt;4. KT 块搜索。&lt;/b&gt;每 T 个连续层组成一个块，在真实的层上尝试各层 K 个最佳集合的所有组合，保留输出变化最小的组合。被移除的专家在热力图中以 ✕ 标记。&lt;/p&gt;&lt;p&gt;所有结果都保存在会话文件中，也可以用 &lt;tt&gt;moe-compress analyze&lt;/tt&gt; 和 &lt;tt&gt;moe-compress search&lt;/tt&gt; 以同样方式运行。&lt;/p&gt;</translation>
        </message>
        <message>
            <source>Importance</source>
            <translation>重要性</translation>
        </message>
        <message>
            <source>Compare</source>
            <translation>对比</translation>
        </message>
        <message>
            <source>Apply &amp;&amp; &amp;evaluate</source>
            <translation>应用并评估(&amp;E)</translation>
        </message>
        <message>
            <source>Perplexity, KL, task accuracy, size and speed of the original and every plan</source>
            <translation>原始模型与各方案的困惑度、KL、任务准确率、规模和速度</translation>
        </message>
        <message>
            <source>original</source>
            <translation>原始模型</translation>
        </message>
        <message>
            <source>Ranks</source>
            <translation>秩</translation>
        </message>
        <message>
            <source>Run &amp;method</source>
            <translation>运行方法(&amp;M)</translation>
        </message>
        <message>
            <source>Expert/Layer/Block Drop, Wanda, SparseGPT or CD-MoE as chosen in Parameters</source>
            <translation>按参数中的选择运行 Expert/Layer/Block Drop、Wanda、SparseGPT 或 CD-MoE</translation>
        </message>
        <message>
            <source>Rec&amp;over…</source>
            <translation>恢复(&amp;O)…</translation>
        </message>
        <message>
            <source>LoRA recovery fine-tuning of a plan, with the live loss curve</source>
            <translation>对方案进行 LoRA 恢复微调，并实时显示损失曲线</translation>
        </message>
        <message>
            <source>Similarity</source>
            <translation>相似度</translation>
        </message>
        <message>
            <source>Recover</source>
            <translation>恢复</translation>
        </message>
        <message>
            <source>Plan %1 is in the session; Run ▸ Apply &amp; evaluate compares it with the original.</source>
            <translation>方案 %1 已存入会话；运行 ▸ 应用并评估 会将其与原模型比较。</translation>
        </message>
        <message>
            <source>Choose Expert Drop, Layer Drop, Block Drop, Wanda, SparseGPT or CD-MoE in Parameters (MoE-I² runs with Run all).</source>
            <translation>请在参数中选择 Expert Drop、Layer Drop、Block Drop、Wanda、SparseGPT 或 CD-MoE（MoE-I² 用“全部运行”）。</translation>
        </message>
        <message>
            <source>Layer Drop: MoE sublayer input vs output (plan %1)</source>
            <translation>Layer Drop：MoE 子层输入与输出（方案 %1）</translation>
        </message>
        <message>
            <source>Block Drop: decoder block input vs output (plan %1)</source>
            <translation>Block Drop：解码器块输入与输出（方案 %1）</translation>
        </message>
        <message>
            <source>LoRA recovery of %1 (rank %2, %3 steps)</source>
            <translation>%1 的 LoRA 恢复（秩 %2，%3 步）</translation>
        </message>
        <message>
            <source>LoRA recovery of %1 by distillation (rank %2, %3 steps, T %4, weight %5)</source>
            <translation>%1 的 LoRA 蒸馏恢复（秩 %2，%3 步，T %4，权重 %5）</translation>
        </message>
        <message>
            <source>Distillation loss (nats)</source>
            <translation>蒸馏损失（nats）</translation>
        </message>
        <message>
            <source>held-out distillation loss (selects the adapters)</source>
            <translation>留出集蒸馏损失（决定保留的适配器）</translation>
        </message>
        <message>
            <source>Cross-entropy loss (nats)</source>
            <translation>交叉熵损失（nats）</translation>
        </message>
        <message>
            <source>&amp;Decompose (low rank)</source>
            <translation>低秩分解(&amp;D)</translation>
        </message>
        <message>
            <source>Factor the surviving experts of the plan chosen under Low rank: rank allocation and SVD</source>
            <translation>对“低秩分解”中所选计划的剩余专家做因子分解：秩分配与 SVD</translation>
        </message>
        <message>
            <source>&amp;Export compressed model…</source>
            <translation>导出压缩模型(&amp;E)…</translation>
        </message>
        <message>
            <source>Write a plan of the session as a checkpoint folder, after a deployability report</source>
            <translation>先生成可部署性报告，再将会话中的计划写为检查点文件夹</translation>
        </message>
        <message>
            <source>Wait until the running job has finished, or cancel it, before exporting.</source>
            <translation>请等待正在运行的任务完成（或取消它）后再导出。</translation>
        </message>
        <message>
            <source>CD-MoE fine-tuning of %1 (%2 steps)</source>
            <translation>%1 的 CD-MoE 微调（%2 步）</translation>
        </message>
        <message>
            <source>Recover cancelled; its checkpoint is in %1: tick Advanced ▸ Checkpoint every ▸ Resume and Recover to continue where it stopped.</source>
            <translation>恢复已取消；其检查点位于 %1：勾选“高级 ▸ 检查点间隔 ▸ 继续”并点击恢复，即可从中断处继续。</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::ModelTree</name>
        <message>
            <source>Component</source>
            <translation>组件</translation>
        </message>
        <message>
            <source>Parameters</source>
            <translation>参数量</translation>
        </message>
        <message>
            <source>Bytes</source>
            <translation>字节</translation>
        </message>
        <message>
            <source>Layer %1 (MoE)</source>
            <translation>第 %1 层（MoE）</translation>
        </message>
        <message>
            <source>Layer %1 (dense)</source>
            <translation>第 %1 层（稠密）</translation>
        </message>
        <message>
            <source>MoE layer: %1 routed experts, top-%2 routing</source>
            <translation>MoE 层：%1 个路由专家，top-%2 路由</translation>
        </message>
        <message>
            <source>Dense layer</source>
            <translation>稠密层</translation>
        </message>
        <message>
            <source>Attention</source>
            <translation>注意力</translation>
        </message>
        <message>
            <source>Dense MLP</source>
            <translation>稠密 MLP</translation>
        </message>
        <message>
            <source>MoE block</source>
            <translation>MoE 块</translation>
        </message>
        <message>
            <source>%1 routed experts, top-%2 routing</source>
            <translation>%1 个路由专家，top-%2 路由</translation>
        </message>
        <message>
            <source>Router</source>
            <translation>路由器</translation>
        </message>
        <message>
            <source>Shared experts</source>
            <translation>共享专家</translation>
        </message>
        <message>
            <source>Expert %1</source>
            <translation>专家 %1</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::ParametersDock</name>
        <message>
            <source>Reset to defaults</source>
            <translation>恢复默认值</translation>
        </message>
        <message>
            <source>The defaults of Preferences; count overrides are kept</source>
            <translation>使用首选项中的默认值；手动设定的剪枝数量保留不变</translation>
        </message>
        <message>
            <source>Run</source>
            <translation>运行</translation>
        </message>
        <message>
            <source>Run all, recomputing only the stages whose parameters changed</source>
            <translation>全部运行，只重新计算参数有变化的阶段</translation>
        </message>
        <message>
            <source>Method</source>
            <translation>方法</translation>
        </message>
        <message>
            <source>MoE-I² (expert pruning, then low rank)</source>
            <translation>MoE-I²（先专家剪枝，后低秩分解）</translation>
        </message>
        <message>
            <source>Method:</source>
            <translation>方法：</translation>
        </message>
        <message>
            <source>CPU</source>
            <translation>CPU</translation>
        </message>
        <message>
            <source>CUDA device %1</source>
            <translation>CUDA 设备 %1</translation>
        </message>
        <message>
            <source>Device:</source>
            <translation>设备：</translation>
        </message>
        <message>
            <source>Calibration</source>
            <translation>校准</translation>
        </message>
        <message>
            <source>demo calibration text</source>
            <translation>演示校准文本</translation>
        </message>
        <message>
            <source>Calibration text</source>
            <translation>校准文本</translation>
        </message>
        <message>
            <source>Text (*.txt *.jsonl);;All files (*)</source>
            <translation>文本 (*.txt *.jsonl);;所有文件 (*)</translation>
        </message>
        <message>
            <source>Text:</source>
            <translation>文本文件：</translation>
        </message>
        <message>
            <source>Samples (n):</source>
            <translation>样本数 (n)：</translation>
        </message>
        <message>
            <source>Sequence length (s):</source>
            <translation>序列长度 (s)：</translation>
        </message>
        <message>
            <source>Sampling seed:</source>
            <translation>采样种子：</translation>
        </message>
        <message>
            <source>Expert pruning</source>
            <translation>专家剪枝</translation>
        </message>
        <message>
            <source>Fraction of all routed experts to remove; important layers lose fewer</source>
            <translation>要移除的路由专家占总数的比例；越重要的层移除得越少</translation>
        </message>
        <message>
            <source>Pruning ratio:</source>
            <translation>剪枝比例：</translation>
        </message>
        <message>
            <source>Population (N):</source>
            <translation>种群规模 (N)：</translation>
        </message>
        <message>
            <source>Generations (G):</source>
            <translation>迭代代数 (G)：</translation>
        </message>
        <message>
            <source>Best sets per layer that the block search combines</source>
            <translation>块搜索所组合的每层最佳集合数</translation>
        </message>
        <message>
            <source>Candidates per layer (K):</source>
            <translation>每层候选数 (K)：</translation>
        </message>
        <message>
            <source>Consecutive MoE layers searched together; K^T combinations per block</source>
            <translation>一起搜索的连续 MoE 层数；每块 K^T 种组合</translation>
        </message>
        <message>
            <source>Layers per block (T):</source>
            <translation>每块层数 (T)：</translation>
        </message>
        <message>
            <source>Search seed:</source>
            <translation>搜索种子：</translation>
        </message>
        <message>
            <source>Low rank (Run ▸ Decompose)</source>
            <translation>低秩分解（运行 ▸ 分解）</translation>
        </message>
        <message>
            <source>The plan whose surviving experts Decompose factors. The result is a new plan: moe-i2 from the MoE-I² search, NAME-lowrank from plan NAME</source>
            <translation>“分解”对其剩余专家做因子分解的计划。结果是一个新计划：由 MoE-I² 搜索得到 moe-i2，由计划 NAME 得到 NAME-lowrank</translation>
        </message>
        <message>
            <source>Start from:</source>
            <translation>起始计划：</translation>
        </message>
        <message>
            <source>MoE-I² search (moe-i2-search)</source>
            <translation>MoE-I² 搜索（moe-i2-search）</translation>
        </message>
        <message>
            <source>None: the unpruned model</source>
            <translation>无：未剪枝的模型</translation>
        </message>
        <message>
            <source>Fraction of the surviving experts' parameters removed by factorisation</source>
            <translation>通过矩阵分解移除的剩余专家参数比例</translation>
        </message>
        <message>
            <source>Decomposition rate:</source>
            <translation>分解率：</translation>
        </message>
        <message>
            <source>How strongly expert importance shifts rank between a layer's experts (0: equal)</source>
            <translation>专家重要性在层内各专家之间分配秩的强度（0：平均分配）</translation>
        </message>
        <message>
            <source>Alpha:</source>
            <translation>Alpha：</translation>
        </message>
        <message>
            <source>Activation-aware (whitened)</source>
            <translation>激活感知（白化）</translation>
        </message>
        <message>
            <source>Plain SVD</source>
            <translation>普通 SVD</translation>
        </message>
        <message>
            <source>SVD mode:</source>
            <translation>SVD 模式：</translation>
        </message>
        <message>
            <source>Pruning counts per layer</source>
            <translation>各层剪枝数量</translation>
        </message>
        <message>
            <source>Reset all overrides</source>
            <translation>重置所有手动设定</translation>
        </message>
        <message>
            <source>Next run: every stage (nothing computed yet).</source>
            <translation>下次运行：所有阶段（尚未计算任何内容）。</translation>
        </message>
        <message>
            <source>Next run: calibration pass, importance, allocation, genetic search and KT block search.</source>
            <translation>下次运行：校准过程、重要性、数量分配、遗传搜索和 KT 块搜索。</translation>
        </message>
        <message>
            <source>Next run: allocation, genetic search and KT block search (importance is reused).</source>
            <translation>下次运行：数量分配、遗传搜索和 KT 块搜索（复用重要性结果）。</translation>
        </message>
        <message>
            <source>Next run: genetic search and KT block search (importance and counts are reused).</source>
            <translation>下次运行：遗传搜索和 KT 块搜索（复用重要性和剪枝数量）。</translation>
        </message>
        <message>
            <source>Next run: only the KT block search (everything else is reused).</source>
            <translation>下次运行：仅 KT 块搜索（其余结果全部复用）。</translation>
        </message>
        <message>
            <source>Next run: nothing to recompute; the results shown are current.</source>
            <translation>下次运行：无需重新计算；当前显示的结果是最新的。</translation>
        </message>
        <message>
            <source>Fix the parameters marked in red first</source>
            <translation>请先修正标红的参数</translation>
        </message>
        <message>
            <source>Choose a calibration text (plain text or JSONL)</source>
            <translation>选择校准文本（纯文本或 JSONL）</translation>
        </message>
        <message>
            <source>Always search genetically</source>
            <translation>始终使用遗传搜索</translation>
        </message>
        <message>
            <source>Search genetically even where enumerating every set is cheaper</source>
            <translation>即使枚举所有集合更省时，也使用遗传搜索</translation>
        </message>
        <message>
            <source>Expert Drop (router mass)</source>
            <translation>Expert Drop（路由概率质量）</translation>
        </message>
        <message>
            <source>Layer Drop (MoE sublayers)</source>
            <translation>Layer Drop（MoE 子层）</translation>
        </message>
        <message>
            <source>Block Drop (decoder blocks)</source>
            <translation>Block Drop（解码器块）</translation>
        </message>
        <message>
            <source>Wanda (expert slimming)</source>
            <translation>Wanda（专家瘦身）</translation>
        </message>
        <message>
            <source>SparseGPT (expert slimming)</source>
            <translation>SparseGPT（专家瘦身）</translation>
        </message>
        <message>
            <source>CD-MoE condensing</source>
            <translation>CD-MoE 压缩</translation>
        </message>
        <message>
            <source>Next run: %1 on the calibration data; its plan goes into the session.</source>
            <translation>下次运行：在校准数据上运行 %1；其方案存入会话。</translation>
        </message>
        <message>
            <source>Advanced</source>
            <translation>高级</translation>
        </message>
        <message>
            <source>Tokens through a layer at once in the calibration, scoring, method and evaluation passes (whole blocks, at least one; --batch-tokens): more is faster and takes more memory; the results agree up to rounding</source>
            <translation>校准、评分、方法和评估各遍中一次通过一层的 token 数（整块，至少一块；--batch-tokens）：越大越快、占用内存越多；结果仅有舍入差异</translation>
        </message>
        <message>
            <source>Batch tokens:</source>
            <translation>批 token 数：</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::PreferencesDialog</name>
        <message>
            <source>Preferences</source>
            <translation>首选项</translation>
        </message>
        <message>
            <source>General</source>
            <translation>常规</translation>
        </message>
        <message>
            <source>System language (%1)</source>
            <translation>系统语言（%1）</translation>
        </message>
        <message>
            <source>Language:</source>
            <translation>语言：</translation>
        </message>
        <message>
            <source>The new language is used from the next start.</source>
            <translation>新语言将在下次启动时生效。</translation>
        </message>
        <message>
            <source>All cores (%1)</source>
            <translation>全部核心（%1）</translation>
        </message>
        <message>
            <source>Compute threads:</source>
            <translation>计算线程数：</translation>
        </message>
        <message>
            <source>CPU</source>
            <translation>CPU</translation>
        </message>
        <message>
            <source>CUDA device %1</source>
            <translation>CUDA 设备 %1</translation>
        </message>
        <message>
            <source>Compute device:</source>
            <translation>计算设备：</translation>
        </message>
        <message>
            <source>Default calibration of new runs</source>
            <translation>新运行的默认校准设置</translation>
        </message>
        <message>
            <source>demo calibration text</source>
            <translation>演示校准文本</translation>
        </message>
        <message>
            <source>Calibration text</source>
            <translation>校准文本</translation>
        </message>
        <message>
            <source>Text (*.txt *.jsonl);;All files (*)</source>
            <translation>文本 (*.txt *.jsonl);;所有文件 (*)</translation>
        </message>
        <message>
            <source>Calibration text:</source>
            <translation>校准文本：</translation>
        </message>
        <message>
            <source>Samples (n):</source>
            <translation>样本数 (n)：</translation>
        </message>
        <message>
            <source>Sequence length (s):</source>
            <translation>序列长度 (s)：</translation>
        </message>
        <message>
            <source>Sampling seed:</source>
            <translation>采样种子：</translation>
        </message>
        <message>
            <source>Apply &amp;&amp; evaluate</source>
            <translation>应用并评估</translation>
        </message>
        <message>
            <source>Held-out text:</source>
            <translation>留出文本：</translation>
        </message>
        <message>
            <source>demo evaluation text</source>
            <translation>演示评估文本</translation>
        </message>
        <message>
            <source>Held-out text</source>
            <translation>留出文本</translation>
        </message>
        <message>
            <source>Consecutive windows from the start of the text; perplexity and KL are averaged over them</source>
            <translation>从文本开头起的连续窗口；困惑度和 KL 取其平均</translation>
        </message>
        <message>
            <source>Windows:</source>
            <translation>窗口数：</translation>
        </message>
        <message>
            <source>Tokens per window, at most the model&apos;s context length</source>
            <translation>每个窗口的词元数，至多为模型的上下文长度</translation>
        </message>
        <message>
            <source>Window length (tokens):</source>
            <translation>窗口长度（词元）：</translation>
        </message>
        <message>
            <source>Multiple-choice tasks:</source>
            <translation>多项选择任务：</translation>
        </message>
        <message>
            <source>demo tasks</source>
            <translation>演示任务</translation>
        </message>
        <message>
            <source>Multiple-choice tasks</source>
            <translation>多项选择任务</translation>
        </message>
        <message>
            <source>JSON Lines (*.jsonl);;All files (*)</source>
            <translation>JSON Lines (*.jsonl);;所有文件 (*)</translation>
        </message>
        <message>
            <source>All</source>
            <translation>全部</translation>
        </message>
        <message>
            <source>Questions (at most):</source>
            <translation>问题数（至多）：</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::StatusPanel</name>
        <message>
            <source>Idle</source>
            <translation>空闲</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Stop the running job; the previous results stay</source>
            <translation>停止正在运行的任务；之前的结果保留</translation>
        </message>
        <message>
            <source>Memory the process uses (anonymous pages; mapped checkpoint files are not counted)</source>
            <translation>进程使用的内存（匿名页；不计入映射的检查点文件）</translation>
        </message>
        <message>
            <source>ETA %1 min %2 s</source>
            <translation>预计剩余 %1 分 %2 秒</translation>
        </message>
        <message>
            <source>ETA %1 s</source>
            <translation>预计剩余 %1 秒</translation>
        </message>
        <message>
            <source>Device: %1</source>
            <translation>设备：%1</translation>
        </message>
        <message>
            <source>Memory: %1</source>
            <translation>内存：%1</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::Worker</name>
        <message>
            <source>Open model</source>
            <translation>打开模型</translation>
        </message>
        <message>
            <source>Open session</source>
            <translation>打开会话</translation>
        </message>
        <message>
            <source>Save session</source>
            <translation>保存会话</translation>
        </message>
        <message>
            <source>Analyze importance</source>
            <translation>分析重要性</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>搜索</translation>
        </message>
        <message>
            <source>Run all</source>
            <translation>全部运行</translation>
        </message>
        <message>
            <source>Set threads</source>
            <translation>设置线程数</translation>
        </message>
        <message>
            <source>Apply &amp; evaluate</source>
            <translation>应用并评估</translation>
        </message>
        <message>
            <source>Run method</source>
            <translation>运行方法</translation>
        </message>
        <message>
            <source>Recover</source>
            <translation>恢复</translation>
        </message>
        <message>
            <source>Decompose</source>
            <translation>分解</translation>
        </message>
        <message>
            <source>Export report</source>
            <translation>导出报告</translation>
        </message>
        <message>
            <source>Export</source>
            <translation>导出</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::WorkerCore</name>
        <message>
            <source>Opening %1</source>
            <translation>正在打开 %1</translation>
        </message>
        <message>
            <source>CPU, %1 threads</source>
            <translation>CPU，%1 个线程</translation>
        </message>
        <message>
            <source>CUDA device %1</source>
            <translation>CUDA 设备 %1</translation>
        </message>
        <message>
            <source>Opening session %1</source>
            <translation>正在打开会话 %1</translation>
        </message>
        <message>
            <source>Saving session %1</source>
            <translation>正在保存会话 %1</translation>
        </message>
        <message>
            <source>Reading calibration text</source>
            <translation>正在读取校准文本</translation>
        </message>
        <message>
            <source>layer %1</source>
            <translation>第 %1 层</translation>
        </message>
        <message>
            <source>Calibration and importance</source>
            <translation>校准与重要性</translation>
        </message>
        <message>
            <source>Capturing search inputs</source>
            <translation>正在采集搜索输入</translation>
        </message>
        <message>
            <source>Precomputing fast losses</source>
            <translation>正在预计算快速损失</translation>
        </message>
        <message>
            <source>Genetic search</source>
            <translation>遗传搜索</translation>
        </message>
        <message>
            <source>KT block search</source>
            <translation>KT 块搜索</translation>
        </message>
        <message>
            <source>Saving session</source>
            <translation>正在保存会话</translation>
        </message>
        <message>
            <source>Reading evaluation text</source>
            <translation>正在读取评估文本</translation>
        </message>
        <message>
            <source>Evaluating the original model</source>
            <translation>正在评估原始模型</translation>
        </message>
        <message>
            <source>Evaluating plan %1</source>
            <translation>正在评估方案 %1</translation>
        </message>
        <message>
            <source>Expert scores</source>
            <translation>专家得分</translation>
        </message>
        <message>
            <source>Layer similarity</source>
            <translation>层相似度</translation>
        </message>
        <message>
            <source>Expert slimming (%1)</source>
            <translation>专家瘦身（%1）</translation>
        </message>
        <message>
            <source>CD-MoE condensing</source>
            <translation>CD-MoE 压缩</translation>
        </message>
        <message>
            <source>Applying plan %1</source>
            <translation>正在应用方案 %1</translation>
        </message>
        <message>
            <source>Opening the original model as the teacher</source>
            <translation>正在打开原始模型作为教师模型</translation>
        </message>
        <message>
            <source>Reading training text</source>
            <translation>正在读取训练文本</translation>
        </message>
        <message>
            <source>Fine-tuning %1 (LoRA rank %2)</source>
            <translation>正在微调 %1（LoRA 秩 %2）</translation>
        </message>
        <message>
            <source>Decomposing experts</source>
            <translation>正在分解专家</translation>
        </message>
        <message>
            <source>The session holds no plan to export: run the search (Run all) first, or open a session with plans.</source>
            <translation>会话中没有可导出的计划：请先运行搜索（全部运行），或打开包含计划的会话。</translation>
        </message>
        <message>
            <source>The session has no plan '%1'.</source>
            <translation>会话中没有计划“%1”。</translation>
        </message>
        <message>
            <source>Plan '%1' needs %2 tensor(s) the session lacks (first: %3); run its stage again.</source>
            <translation>计划“%1”需要会话中缺少的 %2 个张量（第一个：%3）；请重新运行其阶段。</translation>
        </message>
        <message>
            <source>Choose the folder to write the model into.</source>
            <translation>请选择写入模型的文件夹。</translation>
        </message>
        <message>
            <source>%1: give the full path of the folder.</source>
            <translation>%1：请给出文件夹的完整路径。</translation>
        </message>
        <message>
            <source>%1 exists and is not empty. Choose a new folder, or tick "Replace the folder's contents".</source>
            <translation>%1 已存在且不为空。请选择新文件夹，或勾选“替换文件夹内容”。</translation>
        </message>
        <message>
            <source>Writing and verifying %1</source>
            <translation>正在写入并验证 %1</translation>
        </message>
        <message>
            <source>Fine-tuning the condensed experts of %1</source>
            <translation>正在微调 %1 的压缩专家</translation>
        </message>
        <message>
            <source>The session&apos;s model folder %1 is not there: open the model where it is now (the same checkpoint keeps this session).</source>
            <translation>会话的模型文件夹 %1 不存在：请在模型现在所在的位置打开它（同一检查点会保留此会话）。</translation>
        </message>
        <message>
            <source>Resuming from %1</source>
            <translation>从 %1 继续</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::BlockTable</name>
        <message>
            <source>Block</source>
            <translation>块</translation>
        </message>
        <message>
            <source>MoE layers</source>
            <translation>MoE 层</translation>
        </message>
        <message>
            <source>Chosen candidates</source>
            <translation>所选候选</translation>
        </message>
        <message>
            <source>Chosen loss</source>
            <translation>所选损失</translation>
        </message>
        <message>
            <source>Best-sets loss</source>
            <translation>最佳集合损失</translation>
        </message>
        <message>
            <source>Combinations</source>
            <translation>组合数</translation>
        </message>
        <message>
            <source>Candidate index per layer; 0 is the layer's best set from the genetic search</source>
            <translation>每层的候选序号；0 表示遗传搜索得到的该层最佳集合</translation>
        </message>
        <message>
            <source>Loss when every layer takes its own best set (what the block search improves on)</source>
            <translation>每层各取自身最佳集合时的损失（块搜索在此基础上改进）</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::CompareView</name>
        <message>
            <source>Tokens per second</source>
            <translation>每秒 token 数</translation>
        </message>
        <message>
            <source>Accuracy: %1</source>
            <translation>准确率：%1</translation>
        </message>
        <message>
            <source>No evaluations yet: Run ▸ Apply &amp; evaluate fills this view.</source>
            <translation>尚无评估结果：运行 ▸ 应用并评估 后此处将显示结果。</translation>
        </message>
        <message>
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <source>Lower is better for perplexity and KL, higher for accuracy and tokens per second; the table gives each change against the original.</source>
            <translation>困惑度和 KL 越低越好，准确率和每秒 token 数越高越好；表格列出了相对原始模型的变化。</translation>
        </message>
        <message>
            <source>Perplexity</source>
            <translation>困惑度</translation>
        </message>
        <message>
            <source>KL to the original</source>
            <translation>相对原始模型的 KL</translation>
        </message>
        <message>
            <source>Parameters (millions)</source>
            <translation>参数量（百万）</translation>
        </message>
        <message>
            <source>Weight bytes (MB)</source>
            <translation>权重大小（MB）</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::ConvergencePlot</name>
        <message>
            <source>Generation</source>
            <translation>代数</translation>
        </message>
        <message>
            <source>Reconstruction loss (lower is better)</source>
            <translation>重建损失（越低越好）</translation>
        </message>
        <message>
            <source>best</source>
            <translation>最佳</translation>
        </message>
        <message>
            <source>mean</source>
            <translation>平均</translation>
        </message>
        <message>
            <source>worst</source>
            <translation>最差</translation>
        </message>
        <message>
            <source>No search yet</source>
            <translation>尚未搜索</translation>
        </message>
        <message>
            <source>Select a MoE layer to see its search</source>
            <translation>选择一个 MoE 层以查看其搜索过程</translation>
        </message>
        <message>
            <source>Layer %1: no search yet</source>
            <translation>第 %1 层：尚未搜索</translation>
        </message>
        <message>
            <source>Layer %1: every set enumerated (exact optimum)</source>
            <translation>第 %1 层：已枚举所有集合（精确最优）</translation>
        </message>
        <message>
            <source>Layer %1: genetic search, %2 generations</source>
            <translation>第 %1 层：遗传搜索，%2 代</translation>
        </message>
        <message>
            <source>Compare layers</source>
            <translation>比较各层</translation>
        </message>
        <message>
            <source>Overlay every searched layer's best loss divided by its generation-0 value: how far and how fast each layer's search improved. Each curve ends in its layer number; the selected layer is drawn thick</source>
            <translation>叠加显示每个已搜索层的最优损失除以其第 0 代的值：各层搜索改进了多少、有多快。每条曲线末端标有层号；所选层以粗线绘制</translation>
        </message>
        <message>
            <source>Best loss / generation 0</source>
            <translation>最优损失 / 第 0 代</translation>
        </message>
        <message>
            <source>layer %1</source>
            <translation>第 %1 层</translation>
        </message>
        <message>
            <source>%1 layers against generation 0</source>
            <translation>%1 层，相对于第 0 代</translation>
        </message>
        <message>
            <source>layer %1 (selected)</source>
            <translation>第 %1 层（已选）</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::HeatmapView</name>
        <message>
            <source>Expert</source>
            <translation>专家</translation>
        </message>
        <message>
            <source>Layer</source>
            <translation>层</translation>
        </message>
        <message>
            <source>Importance</source>
            <translation>重要性</translation>
        </message>
        <message>
            <source>%1, expert %2
%3: %4</source>
            <translation>%1，专家 %2
%3：%4</translation>
        </message>
        <message>
            <source>not computed yet</source>
            <translation>尚未计算</translation>
        </message>
        <message>
            <source>removed by the current plan</source>
            <translation>已被当前方案移除</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::ImportancePanel</name>
        <message>
            <source>&amp;Metric:</source>
            <translation>指标(&amp;M)：</translation>
        </message>
        <message>
            <source>&amp;Log colour scale</source>
            <translation>对数色阶(&amp;L)</translation>
        </message>
        <message>
            <source>Removal losses span decades between layers; a log scale keeps the small ones apart</source>
            <translation>各层的移除损失相差数个数量级；对数色阶能区分较小的值</translation>
        </message>
        <message>
            <source>Removal loss</source>
            <translation>移除损失</translation>
        </message>
        <message>
            <source>Selection frequency</source>
            <translation>选中频率</translation>
        </message>
        <message>
            <source>Mean gate weight</source>
            <translation>平均门控权重</translation>
        </message>
        <message>
            <source>Softmax mass</source>
            <translation>Softmax 质量</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::LayerBarChart</name>
        <message>
            <source>MoE layer</source>
            <translation>MoE 层</translation>
        </message>
        <message>
            <source>Importance</source>
            <translation>重要性</translation>
        </message>
        <message>
            <source>Experts to prune (P)</source>
            <translation>待剪枝专家数 (P)</translation>
        </message>
        <message>
            <source>layer importance (sum of expert removal losses)</source>
            <translation>层重要性（专家移除损失之和）</translation>
        </message>
        <message>
            <source>experts to prune (right axis)</source>
            <translation>待剪枝专家数（右轴）</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::PruningCountTable</name>
        <message>
            <source>Layer</source>
            <translation>层</translation>
        </message>
        <message>
            <source>Experts (top-k)</source>
            <translation>专家数（top-k）</translation>
        </message>
        <message>
            <source>Allocated</source>
            <translation>分配值</translation>
        </message>
        <message>
            <source>Prune</source>
            <translation>剪枝数</translation>
        </message>
        <message>
            <source>P_l from the pruning ratio and the layer importance</source>
            <translation>由剪枝比例和层重要性得出的 P_l</translation>
        </message>
        <message>
            <source>Experts this layer loses; type a number to fix it by hand (an override)</source>
            <translation>该层移除的专家数；输入数字即可手动指定（覆盖分配值）</translation>
        </message>
        <message>
            <source>%1 (top-%2)</source>
            <translation>%1（top-%2）</translation>
        </message>
        <message>
            <source>Leaves %1 experts, fewer than top-%2: at most %3 can go</source>
            <translation>只剩 %1 个专家，少于 top-%2：最多可移除 %3 个</translation>
        </message>
        <message>
            <source>Fixed by hand (the allocation says %1); Reset returns to the allocation</source>
            <translation>已手动指定（分配值为 %1）；点“重置”恢复分配值</translation>
        </message>
        <message>
            <source>nothing yet</source>
            <translation>暂无</translation>
        </message>
        <message>
            <source>Reset</source>
            <translation>重置</translation>
        </message>
        <message>
            <source>Use the allocated count again</source>
            <translation>重新使用分配的数量</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::RankEditor</name>
        <message>
            <source>Layer</source>
            <translation>层</translation>
        </message>
        <message>
            <source>Expert</source>
            <translation>专家</translation>
        </message>
        <message>
            <source>Allocated</source>
            <translation>分配值</translation>
        </message>
        <message>
            <source>Rank</source>
            <translation>秩</translation>
        </message>
        <message>
            <source>Parameters</source>
            <translation>参数</translation>
        </message>
        <message>
            <source>Rank of the expert's three matrices; type a number to fix it by hand (an override)</source>
            <translation>该专家三个矩阵的秩；输入数字即可手动指定（覆盖分配值）</translation>
        </message>
        <message>
            <source>MoE layer</source>
            <translation>MoE 层</translation>
        </message>
        <message>
            <source>No low-rank plan in this session yet.</source>
            <translation>此会话中尚无低秩方案。</translation>
        </message>
        <message>
            <source>Plan %1.</source>
            <translation>计划 %1。</translation>
        </message>
        <message>
            <source>layer %1</source>
            <translation>第 %1 层</translation>
        </message>
        <message>
            <source>At or above break-even: rank %1 stores %2 parameters per matrix, the dense matrix %3; it stays dense</source>
            <translation>达到或超过收支平衡点：秩 %1 每个矩阵需存储 %2 个参数，稠密矩阵为 %3 个；该矩阵保持稠密</translation>
        </message>
        <message>
            <source>Reset</source>
            <translation>重置</translation>
        </message>
        <message>
            <source>dense</source>
            <translation>稠密</translation>
        </message>
        <message>
            <source>as planned</source>
            <translation>按方案</translation>
        </message>
        <message>
            <source>Parameters (M)</source>
            <translation>参数量（百万）</translation>
        </message>
        <message>
            <source>Routed experts: %1 dense, %2 as planned (%3% removed by factorisation); ranks fixed by hand: %4.</source>
            <translation>路由专家：稠密 %1，按方案 %2（通过分解移除 %3%）；手动指定的秩：%4 个。</translation>
        </message>
        <message>
            <source>Plan:</source>
            <translation>计划：</translation>
        </message>
        <message>
            <source>The session's plans that factor experts; the one Decompose made last comes first</source>
            <translation>会话中对专家做因子分解的计划；最先显示“分解”最近生成的计划</translation>
        </message>
    </context>
    <context>
        <name>MethodChecks</name>
        <message>
            <source>Keep per layer is %1, but layer %2 has only %3 experts.</source>
            <translation>每层保留数为 %1，但第 %2 层只有 %3 个专家。</translation>
        </message>
        <message>
            <source>Keeping %1 experts leaves layer %2 fewer than the %3 each token is routed to (top-k).</source>
            <translation>保留 %1 个专家会使第 %2 层少于每个词元路由到的 %3 个（top-k）。</translation>
        </message>
        <message>
            <source>Dropping %1 of %2 experts: at most %3 can go while every layer keeps top-k.</source>
            <translation>删除 %2 个专家中的 %1 个：在每层保留 top-k 的前提下最多可删除 %3 个。</translation>
        </message>
        <message>
            <source>Layer %1: dropping %2 of %3 experts leaves fewer than the %4 each token is routed to (top-k).</source>
            <translation>第 %1 层：删除 %3 个专家中的 %2 个后少于每个词元路由到的 %4 个（top-k）。</translation>
        </message>
        <message>
            <source>Layer Drop removes MoE sublayers: the model has %1, so Drop N can be at most %1.</source>
            <translation>Layer Drop 删除 MoE 子层：模型有 %1 个，因此删除数 N 最多为 %1。</translation>
        </message>
        <message>
            <source>Block Drop keeps at least one of the %1 decoder blocks: Drop N can be at most %2.</source>
            <translation>Block Drop 至少保留 %1 个解码器块中的一个：删除数 N 最多为 %2。</translation>
        </message>
        <message>
            <source>Pattern '%1': write unstructured or N:M with 0 &lt; N &lt; M (e.g. 2:4).</source>
            <translation>模式“%1”：请写 unstructured 或满足 0 &lt; N &lt; M 的 N:M（如 2:4）。</translation>
        </message>
        <message>
            <source>Sparsity 0 prunes nothing.</source>
            <translation>稀疏度为 0 时不剪枝任何权重。</translation>
        </message>
        <message>
            <source>The model has %1 MoE layers; at most %1 can be condensed.</source>
            <translation>模型有 %1 个 MoE 层；最多可压缩 %1 个。</translation>
        </message>
        <message>
            <source>A condensed layer keeps at most its %1 experts.</source>
            <translation>压缩层最多保留其 %1 个专家。</translation>
        </message>
        <message>
            <source>The model has no MoE layers.</source>
            <translation>模型没有 MoE 层。</translation>
        </message>
        <message>
            <source>The plan name is that of the plan this method runs after; choose another name.</source>
            <translation>计划名称与此方法所基于运行的计划相同；请另选一个名称。</translation>
        </message>
        <message>
            <source>The learning rate must be above 0.</source>
            <translation>学习率必须大于 0。</translation>
        </message>
        <message>
            <source>The training text %1 does not exist.</source>
            <translation>训练文本 %1 不存在。</translation>
        </message>
        <message>
            <source>Candidate layers &apos;%1&apos;: write layer numbers separated by commas, ranges as first-last (e.g. 3,4,5 or 3-5), or leave it empty for all MoE layers.</source>
            <translation>候选层“%1”：请写用逗号分隔的层号，范围写作 起始-结束（例如 3,4,5 或 3-5），或留空表示所有 MoE 层。</translation>
        </message>
        <message>
            <source>Candidate layer %1 is not a MoE layer of the model.</source>
            <translation>候选层 %1 不是该模型的 MoE 层。</translation>
        </message>
        <message>
            <source>%1 candidate layers: at most %1 can be condensed.</source>
            <translation>%1 个候选层：最多可压缩 %1 层。</translation>
        </message>
        <message>
            <source>Set the parameter target: the most parameters the condensed model may hold.</source>
            <translation>请设置参数目标：压缩后模型最多可保留的参数数量。</translation>
        </message>
        <message>
            <source>Condensing all %1 candidate layers leaves %2 parameters, above the target %3.</source>
            <translation>压缩全部 %1 个候选层后仍有 %2 个参数，高于目标 %3。</translation>
        </message>
        <message>
            <source>The model already holds at most %1 parameters; one layer is condensed anyway.</source>
            <translation>模型的参数已不超过 %1；仍会压缩一层。</translation>
        </message>
        <message>
            <source>A plan name cannot be only spaces.</source>
            <translation>计划名称不能只包含空格。</translation>
        </message>
        <message>
            <source>Plan name &apos;%1&apos; starts or ends with a space.</source>
            <translation>计划名称“%1”以空格开头或结尾。</translation>
        </message>
        <message>
            <source>A plan name cannot hold tabs, line breaks or other control characters.</source>
            <translation>计划名称不能包含制表符、换行符或其他控制字符。</translation>
        </message>
        <message>
            <source>A plan name is at most %1 bytes long (UTF-8).</source>
            <translation>计划名称最长 %1 字节（UTF-8）。</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::MethodForm</name>
        <message>
            <source>Expert Drop</source>
            <translation>专家删除（Expert Drop）</translation>
        </message>
        <message>
            <source>Layerwise (same count per layer)</source>
            <translation>逐层（每层数量相同）</translation>
        </message>
        <message>
            <source>Global (lowest scores overall)</source>
            <translation>全局（全体最低得分）</translation>
        </message>
        <message>
            <source>Mode:</source>
            <translation>模式：</translation>
        </message>
        <message>
            <source>Fraction of routed experts dropped (used when Keep per layer is 0)</source>
            <translation>删除的路由专家比例（“每层保留”为 0 时使用）</translation>
        </message>
        <message>
            <source>Drop ratio:</source>
            <translation>删除比例：</translation>
        </message>
        <message>
            <source>off (use the ratio)</source>
            <translation>关闭（使用比例）</translation>
        </message>
        <message>
            <source>Experts kept per layer (global: on average) instead of the ratio</source>
            <translation>每层保留的专家数（全局模式：平均值），代替比例</translation>
        </message>
        <message>
            <source>Keep per layer:</source>
            <translation>每层保留：</translation>
        </message>
        <message>
            <source>Layer / Block Drop</source>
            <translation>层 / 块删除</translation>
        </message>
        <message>
            <source>MoE sublayers (Layer Drop) or decoder blocks (Block Drop) removed</source>
            <translation>删除的 MoE 子层（Layer Drop）或解码器块（Block Drop）数</translation>
        </message>
        <message>
            <source>Drop N:</source>
            <translation>删除数 N：</translation>
        </message>
        <message>
            <source>Discrete (the most similar blocks)</source>
            <translation>离散（最相似的块）</translation>
        </message>
        <message>
            <source>Consecutive (the most similar run)</source>
            <translation>连续（最相似的一段）</translation>
        </message>
        <message>
            <source>Block mode:</source>
            <translation>块模式：</translation>
        </message>
        <message>
            <source>Expert slimming</source>
            <translation>专家瘦身</translation>
        </message>
        <message>
            <source>Fraction of each expert matrix pruned (unstructured)</source>
            <translation>每个专家矩阵被剪枝的比例（非结构化）</translation>
        </message>
        <message>
            <source>Sparsity:</source>
            <translation>稀疏度：</translation>
        </message>
        <message>
            <source>unstructured</source>
            <translation>非结构化</translation>
        </message>
        <message>
            <source>Unstructured, or N:M (N weights pruned in every M input columns)</source>
            <translation>非结构化，或 N:M（每 M 个输入列中剪去 N 个权重）</translation>
        </message>
        <message>
            <source>Pattern:</source>
            <translation>稀疏模式：</translation>
        </message>
        <message>
            <source>CD-MoE condensing</source>
            <translation>CD-MoE 压缩</translation>
        </message>
        <message>
            <source>MoE layers condensed (chosen greedily)</source>
            <translation>被压缩的 MoE 层数（贪心选择）</translation>
        </message>
        <message>
            <source>Layers:</source>
            <translation>层数：</translation>
        </message>
        <message>
            <source>Routed experts kept per condensed layer (k_c; 0: shared experts only)</source>
            <translation>每个压缩层保留的路由专家数（k_c；0：只保留共享专家）</translation>
        </message>
        <message>
            <source>Experts kept:</source>
            <translation>保留专家数：</translation>
        </message>
        <message>
            <source>JS divergence of hidden states</source>
            <translation>隐藏状态的 JS 散度</translation>
        </message>
        <message>
            <source>KL of next-token distributions</source>
            <translation>下一词元分布的 KL 散度</translation>
        </message>
        <message>
            <source>Metric:</source>
            <translation>度量：</translation>
        </message>
        <message>
            <source>none</source>
            <translation>无</translation>
        </message>
        <message>
            <source>Fine-tuning steps of the condensed layers' kept and shared experts (0: none); the plan before it is kept as '&lt;plan&gt;-no-finetune'</source>
            <translation>压缩层中保留的专家和共享专家的微调步数（0：不微调）；微调前的计划保留为 '&lt;plan&gt;-no-finetune'</translation>
        </message>
        <message>
            <source>Fine-tuning steps:</source>
            <translation>微调步数：</translation>
        </message>
        <message>
            <source>Peak learning rate (AdamW; linear warm-up, then linear decay)</source>
            <translation>峰值学习率（AdamW；线性预热后线性衰减）</translation>
        </message>
        <message>
            <source>Learning rate:</source>
            <translation>学习率：</translation>
        </message>
        <message>
            <source>the calibration text</source>
            <translation>校准文本</translation>
        </message>
        <message>
            <source>Training text</source>
            <translation>训练文本</translation>
        </message>
        <message>
            <source>Text (*.txt *.jsonl);;All files (*)</source>
            <translation>文本 (*.txt *.jsonl);;所有文件 (*)</translation>
        </message>
        <message>
            <source>Training text:</source>
            <translation>训练文本：</translation>
        </message>
        <message>
            <source>Auto (gate weights for DeepSeek, else softmax)</source>
            <translation>自动（DeepSeek 用门控权重，其余用 softmax）</translation>
        </message>
        <message>
            <source>Softmax mass (full router softmax)</source>
            <translation>Softmax 质量（完整路由 softmax）</translation>
        </message>
        <message>
            <source>Gate weights (scattered top-k weights)</source>
            <translation>门控权重（分散的 top-k 权重）</translation>
        </message>
        <message>
            <source>What ranks the experts: the mean full-softmax routing probability, or the top-k combine weights (selection frequency x mean gate weight)</source>
            <translation>专家的排序依据：完整 softmax 路由概率的均值，或 top-k 组合权重（被选频率 x 平均门控权重）</translation>
        </message>
        <message>
            <source>Score:</source>
            <translation>评分：</translation>
        </message>
        <message>
            <source>all layers</source>
            <translation>所有层</translation>
        </message>
        <message>
            <source>Longest run of blocks whose similarity the pass measures and caches (0: all); bounds the hidden states kept in memory. Consecutive Block Drop measures at least Drop N. Scores already in the session are reused.</source>
            <translation>校准过程测量并缓存其相似度的最长连续块数（0：全部）；限制内存中保留的隐藏状态。连续 Block Drop 至少测量 Drop N 个块。会话中已有的分数会被复用。</translation>
        </message>
        <message>
            <source>Max span:</source>
            <translation>最大跨度：</translation>
        </message>
        <message>
            <source>Also prune the shared experts</source>
            <translation>同时剪枝共享专家</translation>
        </message>
        <message>
            <source>Prune the shared expert MLP too (on every token), not only the routed experts</source>
            <translation>也剪枝共享专家 MLP（作用于每个 token），而不只是路由专家</translation>
        </message>
        <message>
            <source>SparseGPT: columns per lazy batch of the OBS updates</source>
            <translation>SparseGPT：OBS 更新中每个延迟批次的列数</translation>
        </message>
        <message>
            <source>Block size:</source>
            <translation>块大小：</translation>
        </message>
        <message>
            <source>SparseGPT: dampening of the Hessian, H += damping x mean(diag H) x I</source>
            <translation>SparseGPT：Hessian 矩阵的阻尼，H += 阻尼 x mean(diag H) x I</translation>
        </message>
        <message>
            <source>Damping:</source>
            <translation>阻尼：</translation>
        </message>
        <message>
            <source>all MoE layers</source>
            <translation>所有 MoE 层</translation>
        </message>
        <message>
            <source>MoE decoder layers that may be condensed, e.g. 3,4,5 or 3-5 (empty: all)</source>
            <translation>可被压缩的 MoE 解码层，例如 3,4,5 或 3-5（留空：全部）</translation>
        </message>
        <message>
            <source>Candidate layers:</source>
            <translation>候选层：</translation>
        </message>
        <message>
            <source>Composition</source>
            <translation>组合</translation>
        </message>
        <message>
            <source>A plan of the session applied first: the method runs on that compressed model and the new plan holds its steps followed by the method&apos;s</source>
            <translation>先应用会话中的一个方案：方法在该压缩后的模型上运行，新方案包含该方案的步骤，随后是本方法的步骤</translation>
        </message>
        <message>
            <source>Run after plan:</source>
            <translation>在方案之后运行：</translation>
        </message>
        <message>
            <source>none (the original model)</source>
            <translation>无（原始模型）</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Name of the plan stored in the session (empty: the name shown, the method&apos;s default); a plan of the same name is replaced</source>
            <translation>保存到会话中的计划名称（留空：显示的名称，即该方法的默认名称）；同名计划会被替换</translation>
        </message>
        <message>
            <source>Plan name:</source>
            <translation>计划名称：</translation>
        </message>
        <message>
            <source>Layer count</source>
            <translation>层数</translation>
        </message>
        <message>
            <source>Parameter target</source>
            <translation>参数目标</translation>
        </message>
        <message>
            <source>Condense a fixed number of layers, or condense layers (in the greedy order) until the model holds at most the target&apos;s parameters (--target-params)</source>
            <translation>压缩固定数量的层，或按贪心顺序逐层压缩，直到模型参数不超过目标（--target-params）</translation>
        </message>
        <message>
            <source>Condense:</source>
            <translation>压缩方式：</translation>
        </message>
        <message>
            <source>not set</source>
            <translation>未设置</translation>
        </message>
        <message>
            <source>Parameters the condensed model may hold at most, counted as the plan&apos;s parameter accounting counts them; at least what condensing every candidate layer leaves</source>
            <translation>压缩后模型最多可保留的参数数量，按计划的参数统计方式计算；不能低于压缩全部候选层后剩余的参数数量</translation>
        </message>
        <message>
            <source>Parameter target:</source>
            <translation>参数目标：</translation>
        </message>
        <message>
            <source>Sequences of the calibration length a fine-tuning step trains on</source>
            <translation>每个微调步训练的序列数（长度为校准长度）</translation>
        </message>
        <message>
            <source>Batch:</source>
            <translation>批大小：</translation>
        </message>
        <message>
            <source>Steps of linear warm-up to the learning rate, then linear decay to 0</source>
            <translation>学习率线性预热的步数，之后线性衰减到 0</translation>
        </message>
        <message>
            <source>Warm-up steps:</source>
            <translation>预热步数：</translation>
        </message>
        <message>
            <source>AdamW weight decay of the trained experts (0: none)</source>
            <translation>所训练专家的 AdamW 权重衰减（0：无）</translation>
        </message>
        <message>
            <source>Weight decay:</source>
            <translation>权重衰减：</translation>
        </message>
        <message>
            <source>Fine-tune the shared experts</source>
            <translation>微调共享专家</translation>
        </message>
        <message>
            <source>Train the condensed layers&apos; shared experts too; off: only the kept routed experts (--finetune-no-shared)</source>
            <translation>同时训练被压缩层的共享专家；关闭：只训练保留的路由专家（--finetune-no-shared）</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::RecoverPanel</name>
        <message>
            <source>LoRA recovery fine-tuning</source>
            <translation>LoRA 恢复微调</translation>
        </message>
        <message>
            <source>Plan:</source>
            <translation>方案：</translation>
        </message>
        <message>
            <source>Text (*.txt *.jsonl);;All files (*)</source>
            <translation>文本 (*.txt *.jsonl);;所有文件 (*)</translation>
        </message>
        <message>
            <source>Training text:</source>
            <translation>训练文本：</translation>
        </message>
        <message>
            <source>demo calibration text</source>
            <translation>演示校准文本</translation>
        </message>
        <message>
            <source>Training text</source>
            <translation>训练文本</translation>
        </message>
        <message>
            <source>Held-out text:</source>
            <translation>留出文本：</translation>
        </message>
        <message>
            <source>demo evaluation text</source>
            <translation>演示评估文本</translation>
        </message>
        <message>
            <source>Held-out text</source>
            <translation>留出文本</translation>
        </message>
        <message>
            <source>Steps:</source>
            <translation>步数：</translation>
        </message>
        <message>
            <source>Peak learning rate (AdamW; linear warm-up, then linear decay)</source>
            <translation>峰值学习率（AdamW；线性预热后线性衰减）</translation>
        </message>
        <message>
            <source>Learning rate:</source>
            <translation>学习率：</translation>
        </message>
        <message>
            <source>LoRA rank:</source>
            <translation>LoRA 秩：</translation>
        </message>
        <message>
            <source>Adapter scale alpha / rank</source>
            <translation>适配器缩放系数 alpha / 秩</translation>
        </message>
        <message>
            <source>LoRA alpha:</source>
            <translation>LoRA alpha：</translation>
        </message>
        <message>
            <source>Language modelling</source>
            <translation>语言建模</translation>
        </message>
        <message>
            <source>Distillation from the original</source>
            <translation>从原始模型蒸馏</translation>
        </message>
        <message>
            <source>Language modelling: next-token cross-entropy on the training text. Distillation: the plan's model learns the original model's next-token distributions (KL divergence); it recovers more, and keeps a second copy of the model in memory</source>
            <translation>语言建模：训练文本上的下一词元交叉熵。蒸馏：计划的模型学习原始模型的下一词元分布（KL 散度）；恢复效果更好，但内存中需保留模型的第二份副本</translation>
        </message>
        <message>
            <source>Objective:</source>
            <translation>目标：</translation>
        </message>
        <message>
            <source>Distillation temperature T: both distributions are softened by T and the KL is scaled by T²</source>
            <translation>蒸馏温度 T：两个分布都按 T 软化，KL 按 T² 缩放</translation>
        </message>
        <message>
            <source>Temperature:</source>
            <translation>温度：</translation>
        </message>
        <message>
            <source>Distillation weight A: the loss is A · T² KL + (1 − A) · cross-entropy (1: pure distillation)</source>
            <translation>蒸馏权重 A：损失为 A · T² KL + (1 − A) · 交叉熵（1：纯蒸馏）</translation>
        </message>
        <message>
            <source>Distillation weight:</source>
            <translation>蒸馏权重：</translation>
        </message>
        <message>
            <source>Recover</source>
            <translation>恢复</translation>
        </message>
        <message>
            <source>Fine-tune LoRA adapters on the plan's model; the result is the plan '&lt;plan&gt;-lora'</source>
            <translation>在方案的模型上微调 LoRA 适配器；结果为方案“&lt;方案&gt;-lora”</translation>
        </message>
        <message>
            <source>Adapters on the modules chosen under Advanced (attention, experts and shared experts by default); the adapters of the best held-out evaluation are kept (lowest perplexity, or for distillation the lowest distillation loss). Cancel with Esc.</source>
            <translation>适配器加在“高级”中选择的模块上（默认为注意力、专家和共享专家）；保留留出集评估最佳时的适配器（困惑度最低；蒸馏时为蒸馏损失最低）。按 Esc 取消。</translation>
        </message>
        <message>
            <source>The session has no plan yet: run a method first.</source>
            <translation>会话中还没有方案：请先运行一种方法。</translation>
        </message>
        <message>
            <source>The learning rate must be above 0.</source>
            <translation>学习率必须大于 0。</translation>
        </message>
        <message>
            <source>LoRA alpha must be above 0.</source>
            <translation>LoRA alpha 必须大于 0。</translation>
        </message>
        <message>
            <source>Unknown objective '%1' (lm or distill).</source>
            <translation>未知目标“%1”（lm 或 distill）。</translation>
        </message>
        <message>
            <source>The distillation temperature must be above 0.</source>
            <translation>蒸馏温度必须大于 0。</translation>
        </message>
        <message>
            <source>The distillation weight must be between 0 and 1.</source>
            <translation>蒸馏权重必须在 0 到 1 之间。</translation>
        </message>
        <message>
            <source>Plain text, JSONL with a &quot;text&quot; field, or JSONL instruction pairs ({&quot;prompt&quot;, &quot;response&quot;} or {&quot;instruction&quot;, &quot;input&quot;, &quot;output&quot;} a line: the loss is taken on the responses), as moe-compress finetune --train</source>
            <translation>纯文本、带 &quot;text&quot; 字段的 JSONL，或 JSONL 指令对（每行 {&quot;prompt&quot;, &quot;response&quot;} 或 {&quot;instruction&quot;, &quot;input&quot;, &quot;output&quot;}：损失只在回答上计算），与 moe-compress finetune --train 相同</translation>
        </message>
        <message>
            <source>Advanced</source>
            <translation>高级</translation>
        </message>
        <message>
            <source>Advanced: batch, evaluation interval and held-out windows must be at least 1, sequence length at least 2, warm-up (unless Auto) and patience 0 or more.</source>
            <translation>高级：批大小、评估间隔和留出窗口数至少为 1，序列长度至少为 2，预热（自动除外）和耐心为 0 或更大。</translation>
        </message>
        <message>
            <source>Batch, sequence length, accumulation, held-out evaluation, warm-up, early stopping, weight decay, dropout, adapter modules, seed, result name and checkpoints</source>
            <translation>批大小、序列长度、梯度累积、留出集评估、预热、提前停止、权重衰减、dropout、适配器模块、随机种子、结果名称和检查点</translation>
        </message>
        <message>
            <source>Advanced: accumulation must be at least 1, weight decay and checkpoint interval 0 or more, LoRA dropout between 0 and 0.9.</source>
            <translation>高级：梯度累积至少为 1，权重衰减和检查点间隔不小于 0，LoRA dropout 在 0 到 0.9 之间。</translation>
        </message>
        <message>
            <source>Adapters on: %1</source>
            <translation>适配器模块：%1</translation>
        </message>
        <message>
            <source>Result plan: %1</source>
            <translation>结果方案：%1</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::RecoverAdvanced</name>
        <message>
            <source> evaluations</source>
            <translation> 次评估</translation>
        </message>
        <message>
            <source> sequences</source>
            <translation> 个序列</translation>
        </message>
        <message>
            <source> steps</source>
            <translation> 步</translation>
        </message>
        <message>
            <source> tokens</source>
            <translation> 个词元</translation>
        </message>
        <message>
            <source>Auto</source>
            <translation>自动</translation>
        </message>
        <message>
            <source>Batch:</source>
            <translation>批大小：</translation>
        </message>
        <message>
            <source>Evaluate every:</source>
            <translation>评估间隔：</translation>
        </message>
        <message>
            <source>Held-out evaluations without a new best before training stops early (--patience); the best adapters are kept either way. Never: train all steps</source>
            <translation>连续多少次留出集评估没有新的最佳值后提前停止训练（--patience）；无论如何都保留最佳适配器。从不：训练全部步数</translation>
        </message>
        <message>
            <source>Held-out windows:</source>
            <translation>留出窗口数：</translation>
        </message>
        <message>
            <source>Never stop early</source>
            <translation>从不提前停止</translation>
        </message>
        <message>
            <source>Patience:</source>
            <translation>耐心：</translation>
        </message>
        <message>
            <source>Sequence length:</source>
            <translation>序列长度：</translation>
        </message>
        <message>
            <source>Sequences per training step (--batch): more gives a smoother loss and takes longer</source>
            <translation>每个训练步的序列数（--batch）：越多损失越平滑，耗时也越长</translation>
        </message>
        <message>
            <source>Steps between held-out evaluations (--eval-every); the last step is always evaluated, and before training at step 0</source>
            <translation>两次留出集评估之间的步数（--eval-every）；最后一步总会评估，训练前也会在第 0 步评估</translation>
        </message>
        <message>
            <source>Steps of linear learning-rate warm-up, then linear decay to 0 at the last step (--warmup). Auto: a tenth of the steps, at most 10</source>
            <translation>学习率线性预热的步数，之后线性衰减，到最后一步降为 0（--warmup）。自动：步数的十分之一，至多 10</translation>
        </message>
        <message>
            <source>Tokens per training sequence and per held-out window (--seq-len); at most the model&apos;s context length minus 1. Instruction pairs are cut to it</source>
            <translation>每个训练序列和每个留出窗口的词元数（--seq-len）；至多为模型上下文长度减 1。指令对会被截断到此长度</translation>
        </message>
        <message>
            <source>Warm-up:</source>
            <translation>预热：</translation>
        </message>
        <message>
            <source>Windows of the held-out text, one sequence long each, that every evaluation measures (--eval-blocks); fewer when the text is shorter</source>
            <translation>每次评估所测的留出文本窗口数，每个窗口一个序列长（--eval-blocks）；文本较短时会更少</translation>
        </message>
        <message>
            <source>Accumulation:</source>
            <translation>梯度累积：</translation>
        </message>
        <message>
            <source>Micro-batches of Batch sequences whose gradients add up to one step (--accumulation): a step sees Batch × Accumulation sequences in the memory of one batch</source>
            <translation>每步累加梯度的微批次数，每个微批次含“批大小”条序列（--accumulation）：一步处理 批大小 × 累积 条序列，只占一个批次的内存</translation>
        </message>
        <message>
            <source> batches</source>
            <translation> 个批次</translation>
        </message>
        <message>
            <source>Weight decay:</source>
            <translation>权重衰减：</translation>
        </message>
        <message>
            <source>AdamW&apos;s decoupled weight decay on the adapters (--weight-decay); 0: none</source>
            <translation>AdamW 对适配器的解耦权重衰减（--weight-decay）；0：无</translation>
        </message>
        <message>
            <source>LoRA dropout:</source>
            <translation>LoRA dropout：</translation>
        </message>
        <message>
            <source>Dropout on the adapters&apos; inputs while training (--dropout), 0 to 0.9</source>
            <translation>训练时对适配器输入的 dropout（--dropout），0 到 0.9</translation>
        </message>
        <message>
            <source>Attention</source>
            <translation>注意力</translation>
        </message>
        <message>
            <source>Experts</source>
            <translation>专家</translation>
        </message>
        <message>
            <source>Shared</source>
            <translation>共享专家</translation>
        </message>
        <message>
            <source>Dense</source>
            <translation>稠密</translation>
        </message>
        <message>
            <source>The modules that get adapters (--targets): attention projections, routed experts (factored ones get one adapter per factor), shared experts, dense MLPs; at least one</source>
            <translation>加适配器的模块（--targets）：注意力投影、路由专家（已分解的每个因子一个适配器）、共享专家、稠密 MLP；至少选一个</translation>
        </message>
        <message>
            <source>Adapters on:</source>
            <translation>适配器模块：</translation>
        </message>
        <message>
            <source>Seed:</source>
            <translation>随机种子：</translation>
        </message>
        <message>
            <source>Seed of the adapters&apos; initialisation, the training batches and dropout (--seed): the same seed and settings give the same run</source>
            <translation>适配器初始化、训练批次和 dropout 的随机种子（--seed）：相同的种子和设置得到相同的运行</translation>
        </message>
        <message>
            <source>Name of the plan the adapters are stored as (--plan-name); empty: the plan&apos;s name + &quot;-lora&quot;. A plan that is not a LoRA recovery is never overwritten</source>
            <translation>保存适配器的方案名称（--plan-name）；留空：方案名 + “-lora”。不会覆盖非 LoRA 恢复的方案</translation>
        </message>
        <message>
            <source>Result plan:</source>
            <translation>结果方案：</translation>
        </message>
        <message>
            <source>Checkpoint every:</source>
            <translation>检查点间隔：</translation>
        </message>
        <message>
            <source>Steps between checkpoints of the run (--checkpoint-every) to the file beside the session that moe-compress finetune uses by default; with checkpoints on, a cancelled or finished run also writes one. Off: no checkpoint</source>
            <translation>运行的检查点间隔步数（--checkpoint-every），写入会话旁 moe-compress finetune 默认使用的文件；开启检查点后，取消或完成的运行也会写入一个。关闭：不写检查点</translation>
        </message>
        <message>
            <source>Off</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>继续</translation>
        </message>
        <message>
            <source>Continue the run in %1 (written by Recover or moe-compress finetune with checkpoints) instead of starting over (--resume). It continues only with the settings it was written with; other settings are refused</source>
            <translation>继续 %1 中的运行（由恢复或带检查点的 moe-compress finetune 写入），而不是从头开始（--resume）。只能用写入时的设置继续；其他设置会被拒绝</translation>
        </message>
        <message>
            <source>No checkpoint: choose a plan (the checkpoint sits beside the session file)</source>
            <translation>没有检查点：请选择方案（检查点位于会话文件旁）</translation>
        </message>
        <message>
            <source>No checkpoint of plan %1 yet (%2): set Checkpoint every and Recover to write one</source>
            <translation>方案 %1 尚无检查点（%2）：设置“检查点间隔”并点击恢复即可写入</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::LossCurve</name>
        <message>
            <source>Step</source>
            <translation>步</translation>
        </message>
        <message>
            <source>Training loss (nats)</source>
            <translation>训练损失（nats）</translation>
        </message>
        <message>
            <source>Held-out perplexity</source>
            <translation>留出集困惑度</translation>
        </message>
        <message>
            <source>training loss</source>
            <translation>训练损失</translation>
        </message>
        <message>
            <source>held-out perplexity (right axis)</source>
            <translation>留出集困惑度（右轴）</translation>
        </message>
        <message>
            <source>Run ▸ Recover to see the loss curve</source>
            <translation>运行 ▸ 恢复 以查看损失曲线</translation>
        </message>
        <message>
            <source>kept: step %1</source>
            <translation>保留：第 %1 步</translation>
        </message>
    </context>
    <context>
        <name>moewb::widgets::SimilarityChart</name>
        <message>
            <source>Decoder layer</source>
            <translation>解码器层</translation>
        </message>
        <message>
            <source>Cosine similarity, input vs output</source>
            <translation>余弦相似度（输入与输出）</translation>
        </message>
        <message>
            <source>kept</source>
            <translation>保留</translation>
        </message>
        <message>
            <source>dropped (most redundant)</source>
            <translation>已删除（最冗余）</translation>
        </message>
        <message>
            <source>Run Layer Drop or Block Drop to see the similarity scores</source>
            <translation>运行 Layer Drop 或 Block Drop 以查看相似度得分</translation>
        </message>
    </context>
    <context>
        <name>moewb::gui::ExportDialog</name>
        <message>
            <source>Export compressed model</source>
            <translation>导出压缩模型</translation>
        </message>
        <message>
            <source>A new or empty folder</source>
            <translation>新的或空的文件夹</translation>
        </message>
        <message>
            <source>&amp;Browse…</source>
            <translation>浏览(&amp;B)…</translation>
        </message>
        <message>
            <source>Output &amp;folder:</source>
            <translation>输出文件夹(&amp;F)：</translation>
        </message>
        <message>
            <source>&amp;Replace the folder's contents</source>
            <translation>替换文件夹内容(&amp;R)</translation>
        </message>
        <message>
            <source>Needed when the folder is not empty; the model's own folder and the session file are never replaced</source>
            <translation>文件夹非空时需要；模型自身的文件夹和会话文件永远不会被替换</translation>
        </message>
        <message>
            <source>The session's plan to write</source>
            <translation>要写出的会话计划</translation>
        </message>
        <message>
            <source>&amp;Plan:</source>
            <translation>计划(&amp;P)：</translation>
        </message>
        <message>
            <source>Automatic (standard when possible)</source>
            <translation>自动（尽可能使用标准格式）</translation>
        </message>
        <message>
            <source>Standard (stock transformers)</source>
            <translation>标准（原版 transformers）</translation>
        </message>
        <message>
            <source>Extended (per-layer structure, smallest)</source>
            <translation>扩展（逐层结构，最小）</translation>
        </message>
        <message>
            <source>Dense (factors multiplied back, stock loaders)</source>
            <translation>稠密（因子乘回，标准加载器）</translation>
        </message>
        <message>
            <source>&amp;Kind:</source>
            <translation>格式(&amp;K)：</translation>
        </message>
        <message>
            <source>As the source model</source>
            <translation>与源模型相同</translation>
        </message>
        <message>
            <source>&amp;Data type:</source>
            <translation>数据类型(&amp;D)：</translation>
        </message>
        <message>
            <source>One file</source>
            <translation>单个文件</translation>
        </message>
        <message>
            <source>Largest weights file (1 GB = 10^9 bytes, as transformers counts); 0: one file</source>
            <translation>最大的权重文件（1 GB = 10^9 字节，与 transformers 的计法相同）；0：单个文件</translation>
        </message>
        <message>
            <source>&amp;Shard size:</source>
            <translation>分片大小(&amp;S)：</translation>
        </message>
        <message>
            <source>&amp;Verify: reload the folder and compare logits before keeping it</source>
            <translation>验证(&amp;V)：保留前重新加载文件夹并比较 logits</translation>
        </message>
        <message>
            <source>&lt;b&gt;Deployability report&lt;/b&gt; (worked out before anything is written)</source>
            <translation>&lt;b&gt;可部署性报告&lt;/b&gt;（在写入任何内容之前得出）</translation>
        </message>
        <message>
            <source>&amp;Export</source>
            <translation>导出(&amp;E)</translation>
        </message>
        <message>
            <source>&amp;Cancel export</source>
            <translation>取消导出(&amp;C)</translation>
        </message>
        <message>
            <source>C&amp;lose</source>
            <translation>关闭(&amp;L)</translation>
        </message>
        <message>
            <source>&lt;i&gt;Preparing the report…&lt;/i&gt;</source>
            <translation>&lt;i&gt;正在准备报告…&lt;/i&gt;</translation>
        </message>
        <message>
            <source>Folder to write the model into</source>
            <translation>写入模型的文件夹</translation>
        </message>
        <message>
            <source>Cannot export with these choices:</source>
            <translation>按当前选择无法导出：</translation>
        </message>
        <message>
            <source>standard</source>
            <translation>标准</translation>
        </message>
        <message>
            <source>extended</source>
            <translation>扩展</translation>
        </message>
        <message>
            <source>dense</source>
            <translation>稠密</translation>
        </message>
        <message>
            <source>Plan &lt;b&gt;%1&lt;/b&gt; as the &lt;b&gt;%2&lt;/b&gt; format, %3: %4 tensors in %5 file(s).</source>
            <translation>计划 &lt;b&gt;%1&lt;/b&gt;，&lt;b&gt;%2&lt;/b&gt; 格式，%3：%4 个张量，共 %5 个文件。</translation>
        </message>
        <message>
            <source>Layers</source>
            <translation>层数</translation>
        </message>
        <message>
            <source>%1 of %2</source>
            <translation>%1 / %2</translation>
        </message>
        <message>
            <source>Parameters</source>
            <translation>参数量</translation>
        </message>
        <message>
            <source>%1 M of %2 M (%3%)</source>
            <translation>%1 M / %2 M（%3%）</translation>
        </message>
        <message>
            <source>Weights</source>
            <translation>权重</translation>
        </message>
        <message>
            <source>%1 MiB (source %2 MiB)</source>
            <translation>%1 MiB（源模型 %2 MiB）</translation>
        </message>
        <message>
            <source>On disk</source>
            <translation>磁盘占用</translation>
        </message>
        <message>
            <source>about %1 MiB</source>
            <translation>约 %1 MiB</translation>
        </message>
        <message>
            <source>Loads in:</source>
            <translation>可加载于：</translation>
        </message>
        <message>
            <source>yes</source>
            <translation>是</translation>
        </message>
        <message>
            <source>no</source>
            <translation>否</translation>
        </message>
        <message>
            <source>Not the standard format because:</source>
            <translation>不是标准格式，因为：</translation>
        </message>
        <message>
            <source>The dense kind (stock loaders, no saving from factors) is also possible.</source>
            <translation>也可以使用稠密格式（标准加载器，因子不节省空间）。</translation>
        </message>
        <message>
            <source>The dense kind is not possible:</source>
            <translation>无法使用稠密格式：</translation>
        </message>
        <message>
            <source>Notes:</source>
            <translation>说明：</translation>
        </message>
        <message>
            <source>Export failed; nothing was written.</source>
            <translation>导出失败；未写入任何内容。</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>完成</translation>
        </message>
        <message>
            <source>Wrote %1 file(s), %2 MiB, in %3 s to %4.</source>
            <translation>已写入 %1 个文件，%2 MiB，用时 %3 秒，位置：%4。</translation>
        </message>
        <message>
            <source>%1 tensor(s) rounded to %2.</source>
            <translation>%1 个张量已舍入为 %2。</translation>
        </message>
        <message>
            <source>Verified: the reloaded folder reproduces the model's logits on %1 (%2 × %3 tokens): max |difference| %4, tolerance %5; %6 against the model in memory.</source>
            <translation>已验证：重新加载的文件夹在 %1 上重现了模型的 logits（%2 × %3 个词元）：最大 |差异| %4，容差 %5；与内存中的模型相比为 %6。</translation>
        </message>
        <message>
            <source>Verification FAILED on %1 (%2 × %3 tokens): max |difference| %4, tolerance %5; %6 against the model in memory.</source>
            <translation>在 %1 上验证失败（%2 × %3 个词元）：最大 |差异| %4，容差 %5；与内存中的模型相比为 %6。</translation>
        </message>
        <message>
            <source>Not verified (the reload check was switched off).</source>
            <translation>未验证（重新加载检查已关闭）。</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>Cancelled; nothing was written.</source>
            <translation>已取消；未写入任何内容。</translation>
        </message>
    </context>
</TS>
