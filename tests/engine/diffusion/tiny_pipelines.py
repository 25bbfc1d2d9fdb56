"""Tiny random-weight video pipelines, built in-process and saved as real diffusers folders.

Who uses it: the diffusion tests (conftest builds every folder once per session) and
tests/bench/bench_diffusion.py. Nothing is downloaded: the tokenizer is a T5-style Unigram model
over a FIXED explicit vocabulary (the `tokenizers` library; training one would not be
deterministic), the text encoders are 2-layer UMT5/T5 with d_model 32, and the VAE/transformer
configs are the sizes diffusers' own fast tests use, except that the LTX VAE keeps the real
8x spatial/temporal ratios so the 8k+1 frame rule is exercised. Weights are random (seeded):
outputs are noise, but shapes, determinism and conditioning effects are real.
"""
from __future__ import annotations

from pathlib import Path

WORDS = ("a the of and in on at to with from into toward away left right up down camera pans tilts dollies zooms "
         "orbits static shot wide close medium low high angle lens mm woman man figure walks runs turns sits "
         "stands talks harbour night day dusk dawn light rain street room window door pier boat red yellow blue "
         "coat film grain slowly quickly smoothly moving scene takes place is captured real life footage look "
         "interior exterior tracking crane handheld subject frame telephoto natural perspective eye level shot "
         "quality worst low blurry distorted text watermark ugly deformed still").split()
LETTERS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:-'")


def build_tokenizer():
    """A T5-style fast tokenizer from an explicit vocabulary: same ids in every run."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -3.0)]
    vocab += [("\u2581" + w, -2.0) for w in dict.fromkeys(WORDS)]
    vocab += [(ch, -5.0) for ch in LETTERS] + [("\u2581" + ch, -5.5) for ch in LETTERS]
    tok = Tokenizer(models.Unigram(vocab, unk_id=2))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=512)


def _text_encoder(kind: str, vocab_size: int):
    import torch
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel
    torch.manual_seed(0)
    common = dict(vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                  relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    if kind == "umt5":
        return UMT5EncoderModel(UMT5Config(**common)).eval()
    return T5EncoderModel(T5Config(**common)).eval()


def _wan_vae():
    import torch
    from diffusers import AutoencoderKLWan
    torch.manual_seed(0)
    return AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                            temperal_downsample=[False, True, True])


def _wan_scheduler():
    from diffusers import UniPCMultistepScheduler
    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)


def _wan_transformer(cls_name: str = "WanTransformer3DModel", in_channels: int = 16, **extra):
    import diffusers
    import torch
    torch.manual_seed(0)
    return getattr(diffusers, cls_name)(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=in_channels,
        out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32, **extra)


def build_wan_t2v(tokenizer):
    from diffusers import WanPipeline
    return WanPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer)), vae=_wan_vae(),
                       scheduler=_wan_scheduler(), transformer=_wan_transformer())


def build_wan22_a14b(tokenizer):
    """Wan 2.2 A14B-style: two experts (high noise, then low noise below boundary_ratio x 1000)."""
    import torch
    from diffusers import WanPipeline
    high = _wan_transformer()
    torch.manual_seed(1)
    low = _wan_transformer()
    with torch.no_grad():                  # a second expert that differs from the first
        for p in low.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return WanPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer)), vae=_wan_vae(),
                       scheduler=_wan_scheduler(), transformer=high, transformer_2=low, boundary_ratio=0.875)


def build_skyreels_df(tokenizer):
    """SkyReels-V2 diffusion forcing (Wan architecture, its own transformer class)."""
    from diffusers import SkyReelsV2DiffusionForcingPipeline
    return SkyReelsV2DiffusionForcingPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer)),
                                              vae=_wan_vae(), scheduler=_wan_scheduler(),
                                              transformer=_wan_transformer("SkyReelsV2Transformer3DModel"))


def build_skyreels_i2v(tokenizer):
    """SkyReels-V2 I2V (not diffusion forcing): Wan 2.1-style, a CLIP vision encoder beside the image latents."""
    import torch
    from diffusers import SkyReelsV2ImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection
    torch.manual_seed(0)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2, image_size=32,
        intermediate_size=16, patch_size=1)).eval()
    return SkyReelsV2ImageToVideoPipeline(
        tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer)), vae=_wan_vae(),
        scheduler=_wan_scheduler(), image_processor=CLIPImageProcessor(crop_size=32, size=32), image_encoder=encoder,
        transformer=_wan_transformer("SkyReelsV2Transformer3DModel", in_channels=36, image_dim=4))


def build_hunyuan15(tokenizer, task_type: str = "t2v"):
    """HunyuanVideo 1.5 at the size diffusers' own fast test uses: tiny Qwen2.5-VL text model (fed by the
    offline tokenizer with a one-line chat template), tiny T5 for the glyph encoder, offline ByT5."""
    import torch
    from diffusers import (AutoencoderKLHunyuanVideo15, FlowMatchEulerDiscreteScheduler, HunyuanVideo15Pipeline,
                           HunyuanVideo15Transformer3DModel)
    from diffusers.guiders import ClassifierFreeGuidance
    from transformers import ByT5Tokenizer, Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel
    torch.manual_seed(0)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=9, out_channels=4, num_attention_heads=2, attention_head_dim=8, num_layers=1,
        num_refiner_layers=1, mlp_ratio=2.0, patch_size=1, patch_size_t=1, text_embed_dim=16, text_embed_2_dim=32,
        image_embed_dim=12, rope_axes_dim=(2, 2, 4), target_size=32 if task_type == "i2v" else 16,
        task_type=task_type)
    torch.manual_seed(0)
    vae = AutoencoderKLHunyuanVideo15(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(16, 16),
                                      layers_per_block=1, spatial_compression_ratio=4, temporal_compression_ratio=4,
                                      downsample_match_channel=False, upsample_match_channel=False)
    torch.manual_seed(0)
    text = Qwen2_5_VLTextModel(Qwen2_5_VLTextConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=16, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, rope_theta=1000000.0,
        rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"})).eval()
    qwen_tok = build_tokenizer()
    qwen_tok.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    parts = dict(text_encoder=text, tokenizer=qwen_tok, transformer=transformer, vae=vae,
                 scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0), text_encoder_2=_text_encoder("t5", 384),
                 tokenizer_2=ByT5Tokenizer(), guider=ClassifierFreeGuidance(guidance_scale=1.0))
    if task_type == "t2v":
        return HunyuanVideo15Pipeline(**parts)
    from diffusers import HunyuanVideo15ImageToVideoPipeline
    from transformers import SiglipImageProcessor, SiglipVisionConfig, SiglipVisionModel
    torch.manual_seed(0)
    image_encoder = SiglipVisionModel(SiglipVisionConfig(hidden_size=12, intermediate_size=16, num_hidden_layers=1,
                                                         num_attention_heads=2, image_size=28, patch_size=14)).eval()
    return HunyuanVideo15ImageToVideoPipeline(**parts, image_encoder=image_encoder,
                                              feature_extractor=SiglipImageProcessor(size={"height": 28, "width": 28}))


def build_hunyuan15_i2v(tokenizer):
    """HunyuanVideo 1.5 image-to-video: the T2V parts plus a tiny SigLIP image encoder; its transformer's
    target_size (32) sets the pipeline's own output buckets (the real 480p/720p folders: 480/720)."""
    return build_hunyuan15(tokenizer, "i2v")


def build_wan_i2v(tokenizer):
    """Wan 2.2-style image-to-video (no CLIP image encoder): 16 noise + 4 mask + 16 image channels."""
    from diffusers import WanImageToVideoPipeline
    return WanImageToVideoPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer)),
                                   vae=_wan_vae(), scheduler=_wan_scheduler(), image_processor=None,
                                   image_encoder=None, transformer=_wan_transformer(in_channels=36))


def build_wan_i2v_clip(tokenizer):
    """Wan 2.1-style image-to-video: a CLIP vision encoder feeds image embeddings to the transformer."""
    import torch
    from diffusers import WanImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection
    torch.manual_seed(0)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2, image_size=32,
        intermediate_size=16, patch_size=1)).eval()
    processor = CLIPImageProcessor(crop_size=32, size=32)
    return WanImageToVideoPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer)),
                                   vae=_wan_vae(), scheduler=_wan_scheduler(), image_processor=processor,
                                   image_encoder=encoder, transformer=_wan_transformer(in_channels=36, image_dim=4))


def build_wan_vace(tokenizer):
    from diffusers import WanVACEPipeline
    transformer = _wan_transformer("WanVACETransformer3DModel", vace_layers=[0, 1], vace_in_channels=96)
    return WanVACEPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer)), vae=_wan_vae(),
                           scheduler=_wan_scheduler(), transformer=transformer)


def build_ltx(tokenizer):
    """Saved as an LTXPipeline folder, like Lightricks/LTX-Video; Shotreel drives it with the
    condition pipeline."""
    import torch
    from diffusers import AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXPipeline, \
        LTXVideoTransformer3DModel
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1,
                                             num_attention_heads=4, attention_head_dim=8, cross_attention_dim=32,
                                             num_layers=1, caption_channels=32)
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False), decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4, upsample_factor=(1,) * 4, timestep_conditioning=False, patch_size=1,
        patch_size_t=1, encoder_causal=True, decoder_causal=False)
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    scheduler = FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=True, base_shift=0.95, max_shift=2.05,
                                                base_image_seq_len=1024, max_image_seq_len=4096,
                                                shift_terminal=0.1)
    return LTXPipeline(scheduler=scheduler, vae=vae, text_encoder=_text_encoder("t5", len(tokenizer)),
                       tokenizer=tokenizer, transformer=transformer)


def _cog_vae():
    import torch
    from diffusers import AutoencoderKLCogVideoX
    torch.manual_seed(0)
    return AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), latent_channels=4,
        layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4)


def build_cogvideox_t2v(tokenizer):
    import torch
    from diffusers import CogVideoXDDIMScheduler, CogVideoXPipeline, CogVideoXTransformer3DModel
    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4, time_embed_dim=2,
        text_embed_dim=32, num_layers=1, sample_width=8, sample_height=8, sample_frames=9, patch_size=2,
        temporal_compression_ratio=4, max_text_seq_length=226)
    return CogVideoXPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("t5", len(tokenizer)), vae=_cog_vae(),
                             transformer=transformer,
                             scheduler=CogVideoXDDIMScheduler(timestep_spacing="trailing", snr_shift_scale=1.0))


def build_cogvideox_i2v(tokenizer):
    """Like CogVideoX-5b-I2V: learned positional embeddings fix the size (here 64x64, 9 frames)."""
    import torch
    from diffusers import CogVideoXDDIMScheduler, CogVideoXImageToVideoPipeline, CogVideoXTransformer3DModel
    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4, time_embed_dim=2,
        text_embed_dim=32, num_layers=1, sample_width=8, sample_height=8, sample_frames=9, patch_size=2,
        temporal_compression_ratio=4, max_text_seq_length=226, use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True)
    return CogVideoXImageToVideoPipeline(
        tokenizer=tokenizer, text_encoder=_text_encoder("t5", len(tokenizer)), vae=_cog_vae(), transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(timestep_spacing="trailing", snr_shift_scale=1.0))


def build_ltx2(tokenizer):
    """LTX-2 (video + audio): tiny Gemma-3 text encoder, connectors, video and audio VAEs, vocoder."""
    import torch
    from diffusers import (AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, FlowMatchEulerDiscreteScheduler,
                           LTX2Pipeline, LTX2VideoTransformer3DModel)
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3TextConfig, SiglipVisionConfig
    text = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                            num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=256,
                            sliding_window=64, pad_token_id=0)
    vision = SiglipVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                                image_size=28, patch_size=14)
    torch.manual_seed(0)
    encoder = Gemma3ForConditionalGeneration(Gemma3Config(text_config=text.to_dict(), vision_config=vision.to_dict(),
                                                          mm_tokens_per_image=4)).eval()
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4, out_channels=4, patch_size=1, patch_size_t=1, num_attention_heads=2, attention_head_dim=8,
        cross_attention_dim=16, audio_in_channels=4, audio_out_channels=4, audio_num_attention_heads=2,
        audio_attention_head_dim=4, audio_cross_attention_dim=8, num_layers=2, qk_norm="rms_norm_across_heads",
        caption_channels=32, rope_double_precision=False, rope_type="split")
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=32, text_proj_in_factor=3, video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8, video_connector_num_layers=1,
        video_connector_num_learnable_registers=None, audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8, audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None, connector_rope_base_seq_len=32, rope_theta=10000.0,
        rope_double_precision=False, causal_temporal_positioning=False, rope_type="split")
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8,), decoder_block_out_channels=(8,),
        layers_per_block=(1,), decoder_layers_per_block=(1, 1), spatio_temporal_scaling=(True,),
        decoder_spatio_temporal_scaling=(True,), decoder_inject_noise=(False, False), downsample_type=("spatial",),
        upsample_residual=(False,), upsample_factor=(1,), timestep_conditioning=False, patch_size=1, patch_size_t=1,
        encoder_causal=True, decoder_causal=False)
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4, output_channels=2, ch_mult=(1,), num_res_blocks=1, attn_resolutions=None, in_channels=2,
        resolution=32, latent_channels=2, norm_type="pixel", causality_axis="height", dropout=0.0,
        mid_block_add_attention=False, sample_rate=16000, mel_hop_length=160, is_causal=True, mel_bins=8)
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(in_channels=16, hidden_channels=32, out_channels=2, upsample_kernel_sizes=[4, 4],
                          upsample_factors=[2, 2], resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]],
                          leaky_relu_negative_slope=0.1, output_sampling_rate=16000)
    return LTX2Pipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, audio_vae=audio_vae,
                        text_encoder=encoder, tokenizer=tokenizer, connectors=connectors, transformer=transformer,
                        vocoder=vocoder, processor=None, prompt_enhancer=None, duration_head=None)


def amplify(pipe, transformer_gain: float = 10.0, vae_gain: float = 10.0):
    """Scale the denoiser's output projection and the VAE's last convolution.

    Freshly initialised tiny models decode almost every latent to the same flat grey (std ~0.05),
    so the effect of a conditioning image or a prompt would vanish in 8-bit frames. Scaling the two
    output layers keeps the weights random but lets those differences reach the pixels."""
    import torch
    with torch.no_grad():
        for name in ("transformer", "transformer_2"):
            model = getattr(pipe, name, None)
            if model is not None and hasattr(model, "proj_out"):
                model.proj_out.weight.mul_(transformer_gain)
        conv = pipe.vae.decoder.conv_out
        conv = getattr(conv, "conv", conv)
        conv.weight.mul_(vae_gain)
    return pipe


BUILDERS = {"wan_t2v": build_wan_t2v, "wan22_a14b": build_wan22_a14b, "wan_i2v": build_wan_i2v,
            "wan_i2v_clip": build_wan_i2v_clip,
            "wan_vace": build_wan_vace, "ltx": build_ltx, "ltx2": build_ltx2,
            "cogvideox_t2v": build_cogvideox_t2v, "cogvideox_i2v": build_cogvideox_i2v,
            "skyreels_df": build_skyreels_df, "hunyuan15": build_hunyuan15, "hunyuan15_i2v": build_hunyuan15_i2v,
            "skyreels_i2v": build_skyreels_i2v}


def build_all(root: str | Path, names=None) -> dict[str, Path]:
    """Save every tiny pipeline (or `names`) under `root`; returns name -> folder."""
    root = Path(root)
    tokenizer = build_tokenizer()
    out = {}
    for name in names or BUILDERS:
        folder = root / name
        if not (folder / "model_index.json").exists():
            amplify(BUILDERS[name](tokenizer)).save_pretrained(folder, safe_serialization=True)
        out[name] = folder
    return out
